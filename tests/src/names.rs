//! Reading metrics back by name, whatever holds them: a collector, a parsed `Server-Timing`
//! value, the entries a browser would read, a hook's call.

use std::fmt::Debug;
use std::time::Duration;

use server_timing_runtime::{Metric, ParsedMetric, Timings};

use crate::entries::Entry;

/// What has a metric's name.
pub trait Named {
    fn name(&self) -> &str;
}

impl Named for Metric {
    fn name(&self) -> &str {
        Metric::name(self)
    }
}

impl Named for ParsedMetric {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for Entry {
    fn name(&self) -> &str {
        &self.name
    }
}

impl<T: Named + ?Sized> Named for &T {
    fn name(&self) -> &str {
        T::name(self)
    }
}

/// What holds metrics in order: a collector, or a list of what has a name.
pub trait HoldsMetrics {
    /// The metrics' names, in order.
    fn names(self) -> Vec<String>;
}

impl HoldsMetrics for &Timings {
    fn names(self) -> Vec<String> {
        self.metrics().names()
    }
}

impl<T: Named> HoldsMetrics for &[T] {
    fn names(self) -> Vec<String> {
        self.iter().map(|m| m.name().to_owned()).collect()
    }
}

impl<T: Named> HoldsMetrics for &Vec<T> {
    fn names(self) -> Vec<String> {
        self.as_slice().names()
    }
}

impl<T: Named> HoldsMetrics for Vec<T> {
    fn names(self) -> Vec<String> {
        self.as_slice().names()
    }
}

/// The names, in order: `names(&timings)`, `names(&parsed)`, `names(&call.metrics)`.
pub fn names(metrics: impl HoldsMetrics) -> Vec<String> {
    metrics.names()
}

/// The metric called `name`; panics, showing all of them, if there is none.
pub fn find<'a, T: Named + Debug>(metrics: &'a [T], name: &str) -> &'a T {
    metrics
        .iter()
        .find(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no {name} in {metrics:?}"))
}

/// The metric `name` of `timings`; fails the test when there is none.
pub fn metric(timings: &Timings, name: &str) -> Metric {
    find(&timings.metrics(), name).clone()
}

/// `metric`'s duration; fails the test when it has none.
pub fn duration(metric: &Metric) -> Duration {
    metric
        .duration()
        .unwrap_or_else(|| panic!("{} has no duration", metric.name()))
}
