//! Reading metrics back in tests: from a parsed `Server-Timing` value or from a collector.

// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

use server_timing_runtime::{ParsedMetric, Timings};

/// The names, in order.
pub fn names(metrics: &[ParsedMetric]) -> Vec<&str> {
    metrics.iter().map(|m| m.name.as_str()).collect()
}

/// The metric called `name`; panics, showing all of them, if there is none.
pub fn find<'a>(metrics: &'a [ParsedMetric], name: &str) -> &'a ParsedMetric {
    metrics
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no {name} in {metrics:?}"))
}

/// The names a collector holds so far, in order.
pub fn recorded_names(timings: &Timings) -> Vec<String> {
    timings.metrics().iter().map(|m| m.name().to_owned()).collect()
}
