//! What one request's collector shares between its handles, and the ways a recording gets in:
//! straight under its lock, or through this thread's batch of timed calls.

use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::collector::batch::{self, Slot};
use crate::collector::clock::Moment;
use crate::collector::current::with_current;
use crate::collector::entries::Entries;
use crate::collector::label::{CallSite, Label};
use crate::collector::metric::Outcome;
use crate::header::entry::Measure;
use crate::options::{Options, Repeated};
use crate::trace::TraceContext;

/// One request's collector, behind the `Arc` of every [`Timings`](crate::Timings) handle.
pub(crate) struct Inner {
    pub(crate) options: Options,
    /// Copied out of `options`: read on every timed call.
    aggregate: bool,
    pub(crate) started: Moment,
    entries: Mutex<Entries>,
    /// Chosen when the request starts (`Options::trace_context`).
    pub(crate) trace: Option<TraceContext>,
    /// Set when the response turns out to be one a shared cache may store.
    pub(crate) trace_withheld: AtomicBool,
}

impl Inner {
    pub(crate) fn new(options: Options, trace: Option<TraceContext>) -> Self {
        Inner {
            aggregate: options.config().repeated == Repeated::Aggregate,
            options,
            started: Moment::now(),
            entries: Mutex::new(Entries::default()),
            trace,
            trace_withheld: AtomicBool::new(false),
        }
    }

    pub(crate) fn max_metrics(&self) -> usize {
        self.options.config().max_metrics
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Entries> {
        // Nothing panics while holding the lock, but a poisoned lock must not take the
        // request down either: the data is still consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Add one recording without a place in time: in the order, it goes where it is recorded
    /// (recordings made one after another keep their order, whatever durations they carry).
    pub(crate) fn add(&self, label: Label, measure: Measure, outcome: Outcome) {
        with_current(Inner::flush);
        let at = Moment::now();
        if let Some(metric) = self.lock().entry(label, self.aggregate, self.max_metrics(), at) {
            metric.add(measure, outcome);
        }
    }

    /// Add timed work that ran from `start` to `end`: ordered by its start, and counted once
    /// where it overlaps other work of the same name.
    pub(crate) fn add_span(&self, label: Label, start: Moment, end: Moment, outcome: Outcome) {
        with_current(Inner::flush);
        if let Some(metric) = self
            .lock()
            .entry(label, self.aggregate, self.max_metrics(), start)
        {
            metric.add_span(start, end, outcome);
        }
    }

    /// Record a timed call of `site` (this collector is current on this thread): into this
    /// thread's batch when it can be batched (it completed, and repeated names are
    /// aggregated), else at once.
    pub(crate) fn record_call(&self, site: &'static CallSite, start: Moment, end: Moment, outcome: Outcome) {
        let batched = outcome == Outcome::Completed
            && self.aggregate
            && batch::stage(site, start, end, |slots| self.add_batch(slots));
        if !batched {
            self.add_span(Label::Site(site), start, end, outcome);
        }
    }

    /// Move this thread's batch in (this collector is current on this thread).
    pub(crate) fn flush(&self) {
        batch::drain(|slots| self.add_batch(slots));
    }

    /// Fold a thread's batch in, under one lock.
    fn add_batch(&self, batch: &[Slot]) {
        self.lock().add_slots(batch, self.max_metrics());
    }
}
