//! What one request's collector shares between its handles: its options, its entries under a
//! lock, its trace context, and the folding in of a thread's batch of timed calls.

use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::collector::batch::{self, Slot};
use crate::collector::clock::Moment;
use crate::collector::entries::Entries;
use crate::options::{Options, Repeated};
use crate::trace::TraceContext;

/// One request's collector, behind the `Arc` of every [`Timings`](crate::Timings) handle.
pub(crate) struct Inner {
    pub(crate) options: Options,
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
            options,
            started: Moment::now(),
            entries: Mutex::new(Entries::default()),
            trace,
            trace_withheld: AtomicBool::new(false),
        }
    }

    /// Whether repeated names are aggregated (`Options::repeated`).
    pub(crate) fn aggregate(&self) -> bool {
        self.options.config().repeated == Repeated::Aggregate
    }

    pub(crate) fn max_metrics(&self) -> usize {
        self.options.config().max_metrics
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Entries> {
        // Nothing panics while holding the lock, but a poisoned lock must not take the
        // request down either: the data is still consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Move this thread's batch in (this collector is current on this thread).
    pub(crate) fn flush(&self) {
        batch::drain(|slots| self.add_batch(slots));
    }

    /// Fold a thread's batch in, under one lock.
    pub(crate) fn add_batch(&self, batch: &[Slot]) {
        self.lock().add_slots(batch, self.max_metrics());
    }
}
