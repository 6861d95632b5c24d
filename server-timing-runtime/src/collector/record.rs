//! Recording without the attribute: free functions and the [`Timer`] guard.

use std::borrow::Cow;
use std::time::Duration;

use crate::collector::clock::Moment;
use crate::collector::current::{is_current, with_current};
use crate::collector::label::{CallSite, Label};
use crate::collector::metric::Outcome;
use crate::collector::timings::Timings;
use crate::header::entry::Measure;

/// Add `duration` under `name` to the current collector; nothing happens outside a scope.
///
/// `name` may be a literal (no allocation) or a `String` built at run time; a name that is not
/// an HTTP token is [sanitized](crate::sanitize_name).
///
/// ```
/// use std::time::Duration;
/// use server_timing_runtime::{record, Timings};
///
/// record("ignored", Duration::from_millis(1)); // no scope: a no-op
/// let timings = Timings::new();
/// timings.sync_scope(|| record(format!("shard{}", 3), Duration::from_millis(2)));
/// assert_eq!(timings.metrics()[0].name(), "shard3");
/// ```
pub fn record(name: impl Into<Cow<'static, str>>, duration: Duration) {
    with_current(|inner| {
        inner.add(
            Label::text(name.into()),
            Measure::Duration(duration),
            Outcome::Completed,
        )
    });
}

/// Add a number with no time meaning (a status code, a row count) under `name`. It is written
/// as `dur` (browsers have no other numeric field), so DevTools shows it as a duration;
/// repeated values of one name are summed. A value that is not finite is written as 0.
///
/// ```
/// use server_timing_runtime::{record_value, Timings};
/// let timings = Timings::new();
/// timings.sync_scope(|| record_value("upstream-status", 503.0));
/// assert_eq!(timings.metrics()[0].value(), Some(503.0));
/// ```
pub fn record_value(name: impl Into<Cow<'static, str>>, value: f64) {
    with_current(|inner| {
        inner.add(
            Label::text(name.into()),
            Measure::Value(value),
            Outcome::Completed,
        )
    });
}

/// Add a description with no duration, e.g. `cache;desc=hit`. If `name` already has a
/// description the first one stays. The text is [sanitized](crate::sanitize_description).
///
/// ```
/// use server_timing_runtime::{describe, Timings};
/// let timings = Timings::new();
/// timings.sync_scope(|| describe("cache", "hit"));
/// assert_eq!(timings.finish().unwrap().to_str().unwrap().split(", ").nth(1), Some("cache;desc=hit"));
/// ```
pub fn describe(name: impl Into<Cow<'static, str>>, description: impl Into<Cow<'static, str>>) {
    with_current(|inner| {
        let label = Label::Text {
            name: name.into(),
            description: Some(description.into()),
        };
        inner.add(label, Measure::None, Outcome::Completed);
    });
}

/// Start timing `name`; the time is recorded when the returned guard is dropped (or
/// [`stop`](Timer::stop)ped). Outside a scope the guard is inert and reads no clock.
///
/// ```
/// use server_timing_runtime::{timer, Timings};
/// let timings = Timings::new();
/// timings.sync_scope(|| {
///     let _db = timer("db").description("Query users");
///     // ... the work ...
/// });
/// assert_eq!(timings.metrics()[0].description(), Some("Query users"));
/// ```
pub fn timer(name: impl Into<Cow<'static, str>>) -> Timer {
    Timer {
        running: Timings::current().map(|timings| (timings, Moment::now())),
        name: name.into(),
        description: None,
    }
}

/// A running measurement: records its elapsed time into the collector that was current when
/// it started, when dropped. Made by [`timer`].
///
/// Dropped while the thread unwinds from a panic, it records the time so far, marked as
/// panicked. It may be moved to other threads and outlive its scope.
///
/// ```
/// use server_timing_runtime::{timer, Timings};
/// let timings = Timings::new();
/// let elapsed = timings.sync_scope(|| timer("parse").stop());
/// assert!(elapsed.is_some());
/// ```
#[must_use = "a timer records when it is dropped; binding it to `_` drops it at once"]
#[derive(Debug)]
pub struct Timer {
    running: Option<(Timings, Moment)>,
    name: Cow<'static, str>,
    description: Option<Cow<'static, str>>,
}

impl Timer {
    /// Give the metric a description.
    ///
    /// ```
    /// use server_timing_runtime::{timer, Timings};
    ///
    /// let timings = Timings::new();
    /// timings.sync_scope(|| drop(timer("db").description("DB read")));
    /// let db = &timings.metrics()[0];
    /// assert_eq!((db.name(), db.description()), ("db", Some("DB read")));
    /// ```
    pub fn description(mut self, description: impl Into<Cow<'static, str>>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Record now and return the elapsed time (`None` outside a scope).
    ///
    /// ```
    /// assert_eq!(server_timing_runtime::timer("db").stop(), None);
    /// ```
    pub fn stop(mut self) -> Option<Duration> {
        self.finish(Outcome::Completed)
    }

    /// Stop without recording anything.
    ///
    /// ```
    /// use server_timing_runtime::{timer, Timings};
    ///
    /// let timings = Timings::new();
    /// timings.sync_scope(|| timer("db").cancel());
    /// assert!(timings.metrics().is_empty());
    /// ```
    pub fn cancel(mut self) {
        self.running = None;
    }

    fn finish(&mut self, outcome: Outcome) -> Option<Duration> {
        let (timings, start) = self.running.take()?;
        let end = Moment::now();
        let label = Label::Text {
            name: std::mem::take(&mut self.name),
            description: self.description.take(),
        };
        timings.add_span(label, start, end, outcome);
        Some(start.until(end))
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let outcome = if std::thread::panicking() {
            Outcome::Panicked
        } else {
            Outcome::Completed
        };
        self.finish(outcome);
    }
}

/// The guard `#[server_timing]` puts at the top of a sync fn.
///
/// Holds no collector: a sync call starts and ends on one thread, inside the same scope, so
/// the collector current at its end is the one current at its start.
#[doc(hidden)]
#[derive(Debug)]
pub struct SyncGuard {
    start: Option<Moment>,
    site: &'static CallSite,
}

impl SyncGuard {
    #[inline]
    pub(crate) fn new(site: &'static CallSite) -> Self {
        let start = if is_current() { Some(Moment::now()) } else { None };
        SyncGuard { start, site }
    }

    /// The fn returned: `failed` if it returned an `Err(_)`.
    #[inline]
    pub fn end(mut self, failed: bool) {
        if let Some(start) = self.start.take() {
            let outcome = if failed {
                Outcome::Failed
            } else {
                Outcome::Completed
            };
            self.record(start, outcome);
        }
    }

    /// The call in a scope ended now.
    fn record(&self, start: Moment, outcome: Outcome) {
        let end = Moment::now();
        with_current(|inner| inner.record_call(self.site, start, end, outcome));
    }
}

impl Drop for SyncGuard {
    #[inline]
    fn drop(&mut self) {
        if let Some(start) = self.start {
            let outcome = if std::thread::panicking() {
                Outcome::Panicked
            } else {
                Outcome::Completed
            };
            self.record(start, outcome);
        }
    }
}

/// Tells whether a value a timed fn returned is an `Err(_)`: `Check(&value).failed()`, with
/// [`NotAResult`] in scope. The inherent method, for `Result`, is picked over the trait's,
/// for anything else, so any return type compiles, and for those that are not a `Result` the
/// answer is a constant `false`.
#[doc(hidden)]
pub struct Check<'a, T>(pub &'a T);

impl<T, E> Check<'_, Result<T, E>> {
    pub fn failed(&self) -> bool {
        self.0.is_err()
    }
}

/// The answer for any type that is not a `Result`: not failed.
#[doc(hidden)]
pub trait NotAResult {
    fn failed(&self) -> bool {
        false
    }
}

impl<T> NotAResult for Check<'_, T> {}
