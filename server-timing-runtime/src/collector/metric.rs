//! One entry of a request's timings, as it will be written.

use std::borrow::Cow;
use std::time::Duration;

/// What a metric measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Measure {
    /// A description alone, e.g. `cache;desc=hit`.
    None,
    /// Elapsed time, written in milliseconds.
    Duration(Duration),
    /// A number with no time meaning (a status code, a row count), written as is.
    Value(f64),
}

/// How a timed piece of work ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Completed,
    /// A future dropped before it completed (the client went away, a timeout fired).
    Cancelled,
    /// Unwound by a panic.
    Panicked,
}

/// One metric of a request, after aggregation: what [`Timings::metrics`](crate::Timings::metrics)
/// returns and what one entry of the `Server-Timing` header says.
///
/// Name and description are already sanitized (see [`sanitize_name`](crate::sanitize_name)),
/// so they are exactly what a browser will show.
///
/// ```
/// use std::time::Duration;
/// use server_timing_runtime::{record, Timings};
///
/// let timings = Timings::new();
/// timings.sync_scope(|| {
///     record("db", Duration::from_millis(2));
///     record("db", Duration::from_millis(3));
/// });
/// let db = &timings.metrics()[0];
/// assert_eq!(db.name(), "db");
/// assert_eq!(db.duration(), Some(Duration::from_millis(5)));
/// assert_eq!(db.count(), 2);
/// assert_eq!(db.description(), None);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub(crate) name: Cow<'static, str>,
    pub(crate) description: Option<Cow<'static, str>>,
    pub(crate) measure: Measure,
    pub(crate) count: u32,
    pub(crate) cancelled: u32,
    pub(crate) panicked: u32,
}

impl Metric {
    /// A metric of that name with nothing recorded yet. `name` must be sanitized already.
    pub(crate) fn named(name: Cow<'static, str>) -> Self {
        Metric {
            name,
            description: None,
            measure: Measure::None,
            count: 0,
            cancelled: 0,
            panicked: 0,
        }
    }

    /// One recording, as the writer's tests build them.
    #[cfg(test)]
    pub(crate) fn new(
        name: Cow<'static, str>,
        description: Option<Cow<'static, str>>,
        measure: Measure,
        outcome: Outcome,
    ) -> Self {
        let mut metric = Metric::named(name);
        metric.description = description;
        metric.add(measure, outcome);
        metric
    }

    /// Fold another recording of the same name into this one. A name is either timed or
    /// valued: a measure of the other kind counts as a call but is not added.
    pub(crate) fn add(&mut self, measure: Measure, outcome: Outcome) {
        self.measure = match (self.measure, measure) {
            (_, Measure::None) => return,
            (Measure::None, m) => m,
            (Measure::Duration(a), Measure::Duration(b)) => Measure::Duration(a.saturating_add(b)),
            (Measure::Value(a), Measure::Value(b)) => Measure::Value(a + b),
            (kept, _) => kept,
        };
        self.count = self.count.saturating_add(1);
        match outcome {
            Outcome::Completed => {}
            Outcome::Cancelled => self.cancelled = self.cancelled.saturating_add(1),
            Outcome::Panicked => self.panicked = self.panicked.saturating_add(1),
        }
    }

    /// Fold `count` completed calls that took `duration` in all (a flushed batch).
    pub(crate) fn add_calls(&mut self, duration: Duration, count: u32) {
        self.measure = match self.measure {
            Measure::Duration(d) => Measure::Duration(d.saturating_add(duration)),
            Measure::None => Measure::Duration(duration),
            kept @ Measure::Value(_) => kept,
        };
        self.count = self.count.saturating_add(count);
    }

    /// The metric's name, an HTTP token.
    ///
    /// ```
    /// # use server_timing_runtime::{record, Timings};
    /// # let timings = Timings::new();
    /// timings.sync_scope(|| record("db read", std::time::Duration::ZERO));
    /// assert_eq!(timings.metrics()[0].name(), "db_read");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The summed duration of a timed metric; `None` for a description or a value.
    ///
    /// ```
    /// # use server_timing_runtime::{describe, Timings};
    /// # let timings = Timings::new();
    /// timings.sync_scope(|| describe("cache", "hit"));
    /// assert_eq!(timings.metrics()[0].duration(), None);
    /// ```
    pub fn duration(&self) -> Option<Duration> {
        match self.measure {
            Measure::Duration(d) => Some(d),
            _ => None,
        }
    }

    /// The summed number of a valued metric (see [`record_value`](crate::record_value)).
    ///
    /// ```
    /// # use server_timing_runtime::{record_value, Timings};
    /// # let timings = Timings::new();
    /// timings.sync_scope(|| record_value("status", 404.0));
    /// assert_eq!(timings.metrics()[0].value(), Some(404.0));
    /// ```
    pub fn value(&self) -> Option<f64> {
        match self.measure {
            Measure::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The description as recorded (sanitized), without the call count the header adds.
    ///
    /// ```
    /// # use server_timing_runtime::{describe, Timings};
    /// # let timings = Timings::new();
    /// timings.sync_scope(|| describe("cache", "hit"));
    /// assert_eq!(timings.metrics()[0].description(), Some("hit"));
    /// ```
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// How many timed or valued recordings were folded into this entry (0 for a description
    /// alone).
    ///
    /// ```
    /// # use server_timing_runtime::{record, Timings};
    /// # let timings = Timings::new();
    /// timings.sync_scope(|| for _ in 0..3 { record("db", std::time::Duration::ZERO) });
    /// assert_eq!(timings.metrics()[0].count(), 3);
    /// ```
    pub fn count(&self) -> u32 {
        self.count
    }

    /// How many of those recordings were futures dropped before they completed.
    ///
    /// ```
    /// # use server_timing_runtime::{record, Timings};
    /// # let timings = Timings::new();
    /// timings.sync_scope(|| record("db", std::time::Duration::ZERO));
    /// assert_eq!(timings.metrics()[0].cancelled(), 0);
    /// ```
    pub fn cancelled(&self) -> u32 {
        self.cancelled
    }

    /// How many of those recordings were cut short by a panic.
    ///
    /// ```
    /// # use server_timing_runtime::{record, Timings};
    /// # let timings = Timings::new();
    /// timings.sync_scope(|| record("db", std::time::Duration::ZERO));
    /// assert_eq!(timings.metrics()[0].panicked(), 0);
    /// ```
    pub fn panicked(&self) -> u32 {
        self.panicked
    }
}
