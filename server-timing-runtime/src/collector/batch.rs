//! A per-thread batch of `#[server_timing]` calls (call sites checked when compiled), so that
//! a timed call inside a scope costs no lock and no atomic operation: only the clock reads
//! and a few plain writes.
//!
//! The batch always belongs to the collector current on its thread, but knows nothing of it:
//! the collector hands it the calls and takes them back. It is flushed into that
//! collector (one lock for the whole batch) whenever the current collector changes (every
//! scope entry and exit, so at the end of every poll), before any other recording on the
//! thread (so the order of first recordings is kept), when it is full, and before the
//! collector is read from this thread.

use std::cell::RefCell;

use crate::collector::clock::Moment;
use crate::collector::label::CallSite;
use crate::collector::spans::Spans;

/// Distinct call sites one batch holds before it is flushed.
const SLOTS: usize = 8;

/// The timings of one call site so far.
#[derive(Clone, Copy)]
pub(crate) struct Slot {
    pub(crate) site: &'static CallSite,
    /// When its calls ran.
    pub(crate) spans: Spans,
    pub(crate) count: u32,
}

impl Slot {
    /// Where its first call started.
    pub(crate) fn first(&self) -> Moment {
        self.spans.first()
    }
}

/// Stands in unused slots.
static NOBODY: CallSite = CallSite::new("_", "");

struct Batch {
    slots: [Slot; SLOTS],
    len: usize,
}

thread_local! {
    // Only `Copy` data: no destructor is registered, so the batch stays usable while the
    // thread's other locals are destroyed.
    static BATCH: RefCell<Batch> = RefCell::new(Batch::new());
}

/// Add a completed call of `site`, from `lo` to `hi`, to this thread's batch. `full` takes
/// the batch's slots when a new call site finds it full. `false` when the batch cannot be
/// used (its thread is ending, or a recording is being made while it is borrowed), and the
/// caller records another way.
pub(crate) fn stage(site: &'static CallSite, lo: Moment, hi: Moment, full: impl FnOnce(&mut [Slot])) -> bool {
    BATCH
        .try_with(|batch| match batch.try_borrow_mut() {
            Ok(mut batch) => {
                batch.add(site, lo, hi, full);
                true
            }
            Err(_) => false,
        })
        .unwrap_or(false)
}

/// Empty this thread's batch into `into`, if it holds anything.
pub(crate) fn drain(into: impl FnOnce(&mut [Slot])) {
    let _ = BATCH.try_with(|batch| {
        if let Ok(mut batch) = batch.try_borrow_mut() {
            if batch.len > 0 {
                into(batch.take());
            }
        }
    });
}

impl Batch {
    /// An empty batch. Its unused slots hold a placeholder: a slot has a time, and there is no
    /// time to give one before the clock is read.
    fn new() -> Self {
        let now = Moment::now();
        let unused = Slot {
            site: &NOBODY,
            spans: Spans::new(now, now),
            count: 0,
        };
        Batch {
            slots: [unused; SLOTS],
            len: 0,
        }
    }

    /// Add a call of `site`.
    fn add(&mut self, site: &'static CallSite, lo: Moment, hi: Moment, full: impl FnOnce(&mut [Slot])) {
        let len = self.len;
        match self.slots[..len]
            .iter_mut()
            .find(|slot| std::ptr::eq(slot.site, site))
        {
            Some(slot) => {
                slot.spans.add(lo, hi);
                slot.count = slot.count.saturating_add(1);
            }
            None => self.push(site, lo, hi, full),
        }
    }

    /// The first timing of `site` in this batch: a new slot, after handing the slots to `full`
    /// if there is no room.
    fn push(&mut self, site: &'static CallSite, lo: Moment, hi: Moment, full: impl FnOnce(&mut [Slot])) {
        if self.len == SLOTS {
            full(self.take());
        }
        self.slots[self.len] = Slot {
            site,
            spans: Spans::new(lo, hi),
            count: 1,
        };
        self.len += 1;
    }

    /// Empty the batch, returning what it held.
    fn take(&mut self) -> &mut [Slot] {
        let len = std::mem::take(&mut self.len);
        &mut self.slots[..len]
    }
}
