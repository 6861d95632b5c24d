//! Memory seen from the global allocator of a test binary that installs [`TrackingAllocator`]:
//! the live heap and the allocations made, counted process-wide, and a request's collector
//! watched until it is freed.
//!
//! The counts are process-wide, so a test that reads them holds [`exclusive`] and every other
//! test of that binary holds [`shared`]: none runs while a count is taken.
//!
//! A collector is one allocation (`Timings` is one `Arc`), made by the middleware right after
//! its predicate says yes. A predicate can [`arm`] its thread: the next allocation of the
//! collector's size on that thread is remembered in a slot, and the slot is marked [`freed`]
//! when that allocation is deallocated. `the_watch_follows_the_collector` checks that a slot
//! follows the collector: not freed while a handle is held, freed when the last one goes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};

use server_timing_runtime::{Options, Timings};
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// How many collectors one test binary can watch.
pub const SLOTS: usize = 32;

/// The global allocator of a binary that measures memory: `System`, plus the bookkeeping.
pub struct TrackingAllocator;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static COUNTING: RwLock<()> = RwLock::const_new(());

/// Bytes allocated and not yet freed, by the whole process.
pub fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::SeqCst)
}

/// Allocations (and reallocations) made so far, by the whole process.
pub fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::SeqCst)
}

/// Held by a test that reads [`live_bytes`] or [`allocations`]: no test holding [`shared`]
/// runs meanwhile.
pub async fn exclusive() -> RwLockWriteGuard<'static, ()> {
    COUNTING.write().await
}

/// Held by every other test of a binary that counts: it runs beside the others, never while
/// a count is taken.
pub async fn shared() -> RwLockReadGuard<'static, ()> {
    COUNTING.read().await
}

/// [`exclusive`], for a test that runs on no async runtime.
pub fn exclusive_blocking() -> RwLockWriteGuard<'static, ()> {
    COUNTING.blocking_write()
}

/// [`shared`], for a test that runs on no async runtime.
pub fn shared_blocking() -> RwLockReadGuard<'static, ()> {
    COUNTING.blocking_read()
}

static COLLECTOR_SIZE: AtomicUsize = AtomicUsize::new(0);
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);
static WATCHING: AtomicUsize = AtomicUsize::new(0);
static WATCHED: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
static CAPTURED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
static FREED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];

thread_local! {
    // `const` and without destructors: reading them never allocates, so the allocator may.
    static ARMED: Cell<usize> = const { Cell::new(0) };
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    static MEASURED: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

fn note_alloc(ptr: *mut u8, size: usize) {
    if ptr.is_null() {
        return;
    }
    LIVE_BYTES.fetch_add(size as isize, Ordering::Relaxed);
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    let _ = MEASURING.try_with(|measuring| {
        if measuring.get() {
            let _ = MEASURED.try_with(|m| m.set((m.get().0 + 1, size)));
        }
    });
    let _ = ARMED.try_with(|armed| {
        let slot = armed.get();
        if slot != 0 && size == COLLECTOR_SIZE.load(Ordering::Relaxed) {
            armed.set(0);
            WATCHED[slot - 1].store(ptr as usize, Ordering::SeqCst);
            CAPTURED[slot - 1].store(true, Ordering::SeqCst);
            WATCHING.fetch_add(1, Ordering::SeqCst);
        }
    });
}

fn note_free(ptr: *mut u8, size: usize) {
    LIVE_BYTES.fetch_sub(size as isize, Ordering::Relaxed);
    forget_watched(ptr);
}

fn forget_watched(ptr: *mut u8) {
    if WATCHING.load(Ordering::SeqCst) == 0 {
        return;
    }
    for (slot, watched) in WATCHED.iter().enumerate() {
        if watched
            .compare_exchange(ptr as usize, 0, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            FREED[slot].store(true, Ordering::SeqCst);
            WATCHING.fetch_sub(1, Ordering::SeqCst);
            return;
        }
    }
}

// SAFETY: every call is forwarded to `System` unchanged; the bookkeeping around it neither
// allocates nor touches the memory.
unsafe impl GlobalAlloc for TrackingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe {
            let ptr = System.alloc(layout);
            note_alloc(ptr, layout.size());
            ptr
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe {
            let ptr = System.alloc_zeroed(layout);
            note_alloc(ptr, layout.size());
            ptr
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe {
            note_free(ptr, layout.size());
            System.dealloc(ptr, layout);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe {
            // A collector is never reallocated; an address given back must stop being watched.
            forget_watched(ptr);
            let new = System.realloc(ptr, layout, new_size);
            if !new.is_null() {
                LIVE_BYTES.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
                ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            }
            new
        }
    }
}

/// Learn the collector's allocation size (once per binary); panics if making a collector is
/// not exactly one allocation, since the watch would then follow the wrong one.
pub fn learn_collector_size() {
    // Made as the middleware makes it: from options it already has.
    let options = Options::new();
    MEASURING.with(|m| m.set(true));
    MEASURED.with(|m| m.set((0, 0)));
    let timings = Timings::with_options(options.clone());
    MEASURING.with(|m| m.set(false));
    let (count, size) = MEASURED.with(Cell::get);
    drop(timings);
    assert_eq!(count, 1, "a collector should be one allocation");
    COLLECTOR_SIZE.store(size, Ordering::SeqCst);
}

/// A slot of its own for one watched request.
pub fn new_slot() -> usize {
    let slot = NEXT_SLOT.fetch_add(1, Ordering::SeqCst);
    assert!(slot < SLOTS, "more than {SLOTS} watched requests in one binary");
    slot
}

/// Watch the next collector made on this thread in `slot`.
pub fn arm(slot: usize) {
    assert_ne!(
        COLLECTOR_SIZE.load(Ordering::SeqCst),
        0,
        "call learn_collector_size first"
    );
    ARMED.with(|armed| armed.set(slot + 1));
}

/// Whether a collector was made for `slot` since it was armed.
pub fn captured(slot: usize) -> bool {
    CAPTURED[slot].load(Ordering::SeqCst)
}

/// Whether the collector watched in `slot` has been freed.
pub fn freed(slot: usize) -> bool {
    FREED[slot].load(Ordering::SeqCst)
}
