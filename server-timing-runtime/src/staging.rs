//! A per-thread batch of `#[server_timing]` calls (call sites checked when compiled), so that
//! a timed call inside a scope costs no lock and no atomic operation: only the clock reads
//! and a few plain writes.
//!
//! The batch always belongs to the collector current on its thread. It is flushed into that
//! collector (one lock for the whole batch) whenever the current collector changes (every
//! scope entry and exit, so at the end of every poll), before any other recording on the
//! thread (so the order of first recordings is kept), when it is full, and before the
//! collector is read from this thread; closing the collector while it is current writes the
//! header straight from the batch when nothing else was recorded (see
//! `Timings::finish_value`).

use std::cell::RefCell;
use std::time::Duration;

use crate::format::{Entry, Notes};
use crate::label::{CallSite, Label};
use crate::metric::{Measure, Outcome};
use crate::timings::Inner;

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

/// Record a timed call of `site` into `current`, the collector current on this thread: into
/// the batch when it can be batched (it completed, and repeated names are aggregated), else at
/// once.
#[inline]
pub(crate) fn record(current: &Inner, site: &'static CallSite, elapsed: Duration, outcome: Outcome) {
    if outcome == Outcome::Completed && current.aggregates() {
        stage(current, site, elapsed);
    } else {
        current.add(Label::Site(site), Measure::Duration(elapsed), outcome);
    }
}

/// Add a completed timing of `site` to `current`'s batch. Kept small, so that it inlines
/// into the timed call: adding to the slot of a call site already in the batch is inline, a
/// new slot is not.
#[inline]
fn stage(current: &Inner, site: &'static CallSite, elapsed: Duration) {
    let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
    let staged = BATCH.try_with(|batch| match batch.try_borrow_mut() {
        Ok(mut batch) => {
            batch.add(current, site, nanos);
            true
        }
        Err(_) => false,
    });
    if staged != Ok(true) {
        unbatched(current, site, elapsed);
    }
}

/// The batch cannot be used (its thread is ending, or a recording is being made while it is
/// borrowed): straight into `current`.
#[cold]
#[inline(never)]
fn unbatched(current: &Inner, site: &'static CallSite, elapsed: Duration) {
    current.add_now(Label::Site(site), Measure::Duration(elapsed), Outcome::Completed);
}

impl Batch {
    /// Add a timing of `site`, which belongs to `current`.
    #[inline]
    fn add(&mut self, current: &Inner, site: &'static CallSite, nanos: u64) {
        let len = self.len;
        match self.slots[..len]
            .iter_mut()
            .find(|slot| std::ptr::eq(slot.site, site))
        {
            Some(slot) => {
                slot.nanos = slot.nanos.saturating_add(nanos);
                slot.count = slot.count.saturating_add(1);
            }
            None => self.push(current, site, nanos),
        }
    }

    /// The first timing of `site` in this batch: a new slot, after a flush if the batch is
    /// full.
    #[inline(never)]
    fn push(&mut self, current: &Inner, site: &'static CallSite, nanos: u64) {
        if self.len == SLOTS {
            flush_batch(self, current);
        }
        self.slots[self.len] = Slot {
            site,
            nanos,
            count: 1,
        };
        self.len += 1;
    }
}

/// Move this thread's batch into `current`, the collector it belongs to.
#[inline]
pub(crate) fn flush(current: &Inner) {
    drain(|slots| current.add_batch(slots));
}

/// Empty this thread's batch into `into`, if it holds anything; for a caller that holds the
/// lock of the collector it belongs to already.
#[inline]
pub(crate) fn drain(into: impl FnOnce(&[Slot])) {
    let _ = BATCH.try_with(|batch| {
        if let Ok(mut batch) = batch.try_borrow_mut() {
            if batch.len > 0 {
                let len = std::mem::take(&mut batch.len);
                into(&batch.slots[..len]);
            }
        }
    });
}

fn flush_batch(batch: &mut Batch, current: &Inner) {
    let len = std::mem::take(&mut batch.len);
    current.add_batch(&batch.slots[..len]);
}
