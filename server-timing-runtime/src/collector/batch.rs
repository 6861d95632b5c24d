//! A per-thread batch of `#[server_timing]` calls (call sites checked when compiled), so that
//! a timed call inside a scope costs no lock and no atomic operation: only the clock reads
//! and a few plain writes.
//!
//! The batch always belongs to the collector current on its thread, but knows nothing of it:
//! the collector hands it the calls and takes them back. It is flushed into that
//! collector (one lock for the whole batch) whenever the current collector changes (every
//! scope entry and exit, so at the end of every poll), before any other recording on the
//! thread (so the order of first recordings is kept), when it is full, and before the
//! collector is read from this thread; closing the collector while it is current writes the
//! header straight from the batch when nothing else was recorded (see
//! `Timings::finish_value`).

use std::cell::RefCell;
use std::time::Duration;

use crate::collector::label::CallSite;
use crate::collector::metric::Measure;
use crate::header::format::{Entry, Notes};

/// Distinct call sites one batch holds before it is flushed.
const SLOTS: usize = 8;

/// The timings of one call site so far.
#[derive(Clone, Copy)]
pub(crate) struct Slot {
    pub(crate) site: &'static CallSite,
    pub(crate) nanos: u64,
    pub(crate) count: u32,
}

impl Entry for Slot {
    fn name(&self) -> &str {
        self.site.name()
    }

    fn measure(&self) -> Measure {
        Measure::Duration(Duration::from_nanos(self.nanos))
    }

    fn description(&self) -> &str {
        self.site.description().unwrap_or("")
    }

    fn notes(&self) -> Notes {
        Notes {
            calls: Notes::calls(self.count),
            ..Notes::default()
        }
    }
}

/// Stands in unused slots.
static NOBODY: CallSite = CallSite::new("_", "");

const EMPTY: Slot = Slot {
    site: &NOBODY,
    nanos: 0,
    count: 0,
};

struct Batch {
    slots: [Slot; SLOTS],
    len: usize,
}

thread_local! {
    // Only `Copy` data: no destructor is registered, so the batch stays usable while the
    // thread's other locals are destroyed.
    static BATCH: RefCell<Batch> = const { RefCell::new(Batch { slots: [EMPTY; SLOTS], len: 0 }) };
}

/// Add a completed timing of `site` to this thread's batch. `full` takes the batch's slots
/// when a new call site finds it full; `false` when the batch cannot be used (its thread is
/// ending, or a recording is being made while it is borrowed), and the caller records
/// another way. Kept small, so that it inlines into the timed call: adding to the slot of a
/// call site already in the batch is inline, a new slot is not.
#[inline]
pub(crate) fn stage(site: &'static CallSite, elapsed: Duration, full: impl FnOnce(&[Slot])) -> bool {
    let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
    BATCH
        .try_with(|batch| match batch.try_borrow_mut() {
            Ok(mut batch) => {
                batch.add(site, nanos, full);
                true
            }
            Err(_) => false,
        })
        .unwrap_or(false)
}

/// Empty this thread's batch into `into`, if it holds anything.
#[inline]
pub(crate) fn drain(into: impl FnOnce(&[Slot])) {
    let _ = BATCH.try_with(|batch| {
        if let Ok(mut batch) = batch.try_borrow_mut() {
            if batch.len > 0 {
                into(batch.take());
            }
        }
    });
}

impl Batch {
    /// Add a timing of `site`.
    #[inline]
    fn add(&mut self, site: &'static CallSite, nanos: u64, full: impl FnOnce(&[Slot])) {
        let len = self.len;
        match self.slots[..len]
            .iter_mut()
            .find(|slot| std::ptr::eq(slot.site, site))
        {
            Some(slot) => {
                slot.nanos = slot.nanos.saturating_add(nanos);
                slot.count = slot.count.saturating_add(1);
            }
            None => self.push(site, nanos, full),
        }
    }

    /// The first timing of `site` in this batch: a new slot, after handing the slots to `full`
    /// if there is no room.
    #[inline(never)]
    fn push(&mut self, site: &'static CallSite, nanos: u64, full: impl FnOnce(&[Slot])) {
        if self.len == SLOTS {
            full(self.take());
        }
        self.slots[self.len] = Slot {
            site,
            nanos,
            count: 1,
        };
        self.len += 1;
    }

    /// Empty the batch, returning what it held.
    fn take(&mut self) -> &[Slot] {
        let len = std::mem::take(&mut self.len);
        &self.slots[..len]
    }
}
