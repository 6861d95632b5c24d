//! One entry of a request's timings, after aggregation: what the header writes, the hook is
//! handed and the application reads.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::collector::clock::Moment;
use crate::collector::spans::Spans;
use crate::header::entry::{Entry, Measure, Notes};
use crate::header::write;

/// How a timed piece of work ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Completed,
    /// Completed with an `Err(_)`.
    Failed,
    /// A future dropped before it completed (the client went away, a timeout fired).
    Cancelled,
    /// Unwound by a panic.
    Panicked,
}

/// One metric of a request, after aggregation: what [`Timings::metrics`](crate::Timings::metrics)
/// returns and what one entry of the `Server-Timing` header says.
///
/// Name and description are already sanitized (see [`sanitize_name`](crate::sanitize_name)),
/// so they are exactly what a browser will show. The duration of a name recorded more than
/// once is the wall-clock time during which at least one of its recordings ran (see
/// [`duration`](Self::duration)).
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
///
/// In a log line, `{:?}` shows what the accessors say, and `{}` the metric as its header
/// entry (at the default precision):
///
/// ```
/// use std::time::Duration;
/// use server_timing_runtime::{record, describe, Timings};
///
/// let timings = Timings::new();
/// timings.sync_scope(|| {
///     record("db", Duration::from_micros(2_500));
///     describe("db", "DB read");
/// });
/// let db = &timings.metrics()[0];
/// assert_eq!(db.to_string(), r#"db;dur=2.5;desc="DB read""#);
/// assert_eq!(
///     format!("{db:?}"),
///     r#"Metric { name: "db", duration: Some(2.5ms), count: 1, description: Some("DB read") }"#
/// );
/// ```
#[derive(Clone, PartialEq)]
pub struct Metric {
    pub(crate) name: Cow<'static, str>,
    pub(crate) description: Option<Cow<'static, str>>,
    /// Its kind, and what was recorded without a place in time: `Duration` sums the durations
    /// given to [`record`](crate::record); timed work is in `spans`.
    pub(crate) measure: Measure,
    pub(crate) spans: Option<Spans>,
    /// Where its first recording started: entries are written in this order.
    pub(crate) first: Moment,
    /// Named by a call site (fixed when compiled), which a run-time name never pushes out.
    pub(crate) fixed: bool,
    pub(crate) count: u32,
    pub(crate) failed: u32,
    pub(crate) cancelled: u32,
    pub(crate) panicked: u32,
}

impl Metric {
    /// A metric of that name with nothing recorded yet, first recorded at `first`. `name`
    /// must be sanitized already.
    pub(crate) fn named(name: Cow<'static, str>, first: Moment) -> Self {
        Metric {
            name,
            description: None,
            measure: Measure::None,
            spans: None,
            first,
            fixed: false,
            count: 0,
            failed: 0,
            cancelled: 0,
            panicked: 0,
        }
    }

    /// What the header says it measures: for a timed metric, the time recorded without a
    /// place plus the union of the timed recordings.
    pub(crate) fn total(&self) -> Measure {
        match self.measure {
            Measure::Duration(unplaced) => {
                let timed = self.spans.as_ref().map_or(0, Spans::covered);
                Measure::Duration(unplaced.saturating_add(Duration::from_nanos(timed)))
            }
            other => other,
        }
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
        self.counted(outcome);
    }

    /// Fold in a timed recording, from `lo` to `hi`.
    pub(crate) fn add_span(&mut self, lo: Moment, hi: Moment, outcome: Outcome) {
        match self.measure {
            Measure::None => self.measure = Measure::Duration(Duration::ZERO),
            Measure::Duration(_) => {}
            Measure::Value(_) => return self.counted(outcome),
        }
        match &mut self.spans {
            Some(spans) => spans.add(lo, hi),
            None => self.spans = Some(Spans::new(lo, hi)),
        }
        self.counted(outcome);
    }

    /// Fold `count` completed calls that ran during `spans` (a flushed batch).
    pub(crate) fn add_calls(&mut self, spans: &Spans, count: u32) {
        match self.measure {
            Measure::None => self.measure = Measure::Duration(Duration::ZERO),
            Measure::Duration(_) => {}
            Measure::Value(_) => {
                self.count = self.count.saturating_add(count);
                return;
            }
        }
        match &mut self.spans {
            Some(own) => own.merge(spans),
            None => self.spans = Some(*spans),
        }
        self.count = self.count.saturating_add(count);
    }

    fn counted(&mut self, outcome: Outcome) {
        self.count = self.count.saturating_add(1);
        match outcome {
            Outcome::Completed => {}
            Outcome::Failed => self.failed = self.failed.saturating_add(1),
            Outcome::Cancelled => self.cancelled = self.cancelled.saturating_add(1),
            Outcome::Panicked => self.panicked = self.panicked.saturating_add(1),
        }
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

    /// The duration of a timed metric; `None` for a description or a value.
    ///
    /// Recordings of one name that overlap (calls run side by side with `join!`, spawned
    /// tasks) count once: this is the wall-clock time during which at least one of them ran,
    /// the sum of their durations when none overlap. Durations given to
    /// [`record`](crate::record), which has no start to place them by, are added.
    ///
    /// ```
    /// # use server_timing_runtime::{describe, Timings};
    /// # let timings = Timings::new();
    /// timings.sync_scope(|| describe("cache", "hit"));
    /// assert_eq!(timings.metrics()[0].duration(), None);
    /// ```
    pub fn duration(&self) -> Option<Duration> {
        match self.total() {
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

    /// How many of those recordings were calls that returned an `Err(_)`.
    ///
    /// ```
    /// use server_timing_runtime::{server_timing, Timings};
    ///
    /// #[server_timing]
    /// fn parse(raw: &str) -> Result<u8, std::num::ParseIntError> { raw.parse() }
    ///
    /// let timings = Timings::new();
    /// timings.sync_scope(|| { let _ = (parse("1"), parse("x")); });
    /// assert_eq!((timings.metrics()[0].count(), timings.metrics()[0].failed()), (2, 1));
    /// ```
    pub fn failed(&self) -> u32 {
        self.failed
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

impl Entry for Metric {
    fn name(&self) -> &str {
        &self.name
    }

    fn measure(&self) -> Measure {
        self.total()
    }

    fn description(&self) -> &str {
        self.description.as_deref().unwrap_or("")
    }

    fn notes(&self) -> Notes {
        let timed = matches!(self.measure, Measure::Duration(_));
        Notes {
            calls: Notes::calls(if timed { self.count } else { 0 }),
            failed: self.failed,
            cancelled: self.cancelled,
            panicked: self.panicked,
        }
    }
}

impl fmt::Debug for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Metric");
        debug.field("name", &self.name());
        match self.value() {
            Some(value) => debug.field("value", &value),
            None => debug.field("duration", &self.duration()),
        };
        debug.field("count", &self.count);
        debug.field("description", &self.description());
        for (outcome, count) in [
            ("failed", self.failed),
            ("cancelled", self.cancelled),
            ("panicked", self.panicked),
        ] {
            if count > 0 {
                debug.field(outcome, &count);
            }
        }
        debug.finish()
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&write::entry_text(self))
    }
}
