//! A per-thread batch of recordings with static names, so that a timed call inside a scope
//! costs no lock and no atomic operation: only the clock reads and a few plain writes.
//!
//! The batch always belongs to the collector current on its thread. It is flushed into that
//! collector (one lock for the whole batch) whenever the current collector changes (every
//! scope entry and exit, so at the end of every poll), before any other recording on the
//! thread (so the order of first recordings is kept), when it is full, and before the
//! collector is read from this thread.

use std::borrow::Cow;
use std::cell::RefCell;
use std::time::Duration;

use crate::metric::{Measure, Outcome};
use crate::timings::Inner;

/// Distinct names one batch holds before it is flushed.
const SLOTS: usize = 8;

#[derive(Clone, Copy)]
struct Slot {
    name: &'static str,
    description: &'static str,
    nanos: u64,
    count: u32,
}

const EMPTY: Slot = Slot {
    name: "",
    description: "",
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

/// Add a completed timing of a static name to `current`'s batch.
#[inline]
pub(crate) fn stage(current: &Inner, name: &'static str, description: &'static str, elapsed: Duration) {
    let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
    let staged = BATCH.try_with(|batch| {
        let Ok(mut batch) = batch.try_borrow_mut() else {
            return false;
        };
        let batch = &mut *batch;
        let len = batch.len;
        // Static names from one call site share one address: compare that first.
        if let Some(slot) = batch.slots[..len]
            .iter_mut()
            .find(|s| std::ptr::eq(s.name, name) || s.name == name)
        {
            slot.nanos = slot.nanos.saturating_add(nanos);
            slot.count = slot.count.saturating_add(1);
            return true;
        }
        if len == SLOTS {
            flush_batch(batch, current);
        }
        batch.slots[batch.len] = Slot {
            name,
            description,
            nanos,
            count: 1,
        };
        batch.len += 1;
        true
    });
    if staged != Ok(true) {
        current.add_now(
            Cow::Borrowed(name),
            static_description(description),
            Measure::Duration(elapsed),
            Outcome::Completed,
        );
    }
}

/// Move this thread's batch into `current`, the collector it belongs to.
#[inline]
pub(crate) fn flush(current: &Inner) {
    let _ = BATCH.try_with(|batch| {
        if let Ok(mut batch) = batch.try_borrow_mut() {
            if batch.len > 0 {
                flush_batch(&mut batch, current);
            }
        }
    });
}

fn flush_batch(batch: &mut Batch, current: &Inner) {
    let len = std::mem::take(&mut batch.len);
    current.add_batch(batch.slots[..len].iter().map(|slot| {
        (
            Cow::Borrowed(slot.name),
            static_description(slot.description),
            Duration::from_nanos(slot.nanos),
            slot.count,
        )
    }));
}

pub(crate) fn static_description(description: &'static str) -> Option<Cow<'static, str>> {
    (!description.is_empty()).then_some(Cow::Borrowed(description))
}
