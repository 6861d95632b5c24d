//! The ways a recording gets into a collector: into this thread's batch of timed calls, or
//! straight under its lock once the batch of the thread's current collector is flushed, so
//! that recordings keep their order.

use crate::collector::batch;
use crate::collector::clock::Moment;
use crate::collector::current::with_current;
use crate::collector::inner::Inner;
use crate::collector::label::{CallSite, Label};
use crate::collector::metric::Outcome;
use crate::header::entry::Measure;

impl Inner {
    /// Add one recording without a place in time: in the order, it goes where it is recorded
    /// (recordings made one after another keep their order, whatever durations they carry).
    pub(crate) fn add(&self, label: Label, measure: Measure, outcome: Outcome) {
        with_current(Inner::flush);
        let at = Moment::now();
        if let Some(metric) = self.lock().entry(label, self.aggregate(), self.max_metrics(), at) {
            metric.add(measure, outcome);
        }
    }

    /// Add timed work that ran from `start` to `end`: ordered by its start, and counted once
    /// where it overlaps other work of the same name.
    pub(crate) fn add_span(&self, label: Label, start: Moment, end: Moment, outcome: Outcome) {
        with_current(Inner::flush);
        if let Some(metric) = self
            .lock()
            .entry(label, self.aggregate(), self.max_metrics(), start)
        {
            metric.add_span(start, end, outcome);
        }
    }

    /// Record a timed call of `site` (this collector is current on this thread): into this
    /// thread's batch when it can be batched (it completed, and repeated names are
    /// aggregated), else at once.
    pub(crate) fn record_call(&self, site: &'static CallSite, start: Moment, end: Moment, outcome: Outcome) {
        let batched = outcome == Outcome::Completed
            && self.aggregate()
            && batch::stage(site, start, end, |slots| self.add_batch(slots));
        if !batched {
            self.add_span(Label::Site(site), start, end, outcome);
        }
    }
}
