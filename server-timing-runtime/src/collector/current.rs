//! Which collector is current on this thread: the one a running scope made current, which
//! every recording on the thread goes into.

use std::cell::RefCell;
use std::mem::ManuallyDrop;
use std::sync::Arc;

use crate::collector::inner::Inner;

thread_local! {
    // The collector of the scope being run on this thread, if any. `ManuallyDrop`, so that
    // the thread-local has no destructor and stays usable while the thread's other locals
    // are destroyed (their destructors may record); every scope puts back what it replaced,
    // so nothing is left in it to drop when the thread ends.
    static CURRENT: RefCell<ManuallyDrop<Option<Arc<Inner>>>> =
        const { RefCell::new(ManuallyDrop::new(None)) };
}

/// Run `f` on the current collector, if any, without cloning it.
///
/// `f` is the toolkit's own recording code: it runs no user code and enters no scope, so the
/// borrow it runs under is never wanted mutably meanwhile (a recording made while the thread
/// is between scopes, or while its locals are torn down, finds no collector).
pub(crate) fn with_current(f: impl FnOnce(&Inner)) {
    let _ = CURRENT.try_with(|current| {
        if let Ok(current) = current.try_borrow() {
            if let Some(inner) = current.as_deref() {
                f(inner);
            }
        }
    });
}

/// Whether a collector is current here, without cloning it. Inlined into every timed call:
/// outside any scope it is all the call costs.
#[inline]
pub(crate) fn is_current() -> bool {
    CURRENT
        .try_with(|current| current.try_borrow().is_ok_and(|current| current.is_some()))
        .unwrap_or(false)
}

/// The collector current here, if any.
pub(crate) fn current() -> Option<Arc<Inner>> {
    CURRENT
        .try_with(|current| {
            let current = current.try_borrow().ok()?;
            Option::clone(&current)
        })
        .ok()
        .flatten()
}

/// Whether `inner` is the collector current here.
pub(crate) fn is_current_here(inner: &Arc<Inner>) -> bool {
    CURRENT
        .try_with(|current| {
            current
                .try_borrow()
                .is_ok_and(|current| current.as_ref().is_some_and(|c| Arc::ptr_eq(c, inner)))
        })
        .unwrap_or(false)
}

/// Makes a collector (or none) current until dropped, then restores the one before, also on
/// unwind. This thread's batch of timed calls is folded into the collector being left, on
/// entry and on exit.
pub(crate) struct Entered {
    // `None` inside: no collector was current before. `None` outside: nothing was changed.
    previous: Option<Option<Arc<Inner>>>,
}

impl Entered {
    pub(crate) fn new(next: Option<&Arc<Inner>>) -> Self {
        with_current(Inner::flush);
        let previous = CURRENT
            .try_with(|current| {
                let mut current = current.try_borrow_mut().ok()?;
                Some(std::mem::replace(&mut **current, next.cloned()))
            })
            .ok()
            .flatten();
        Entered { previous }
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        let Some(previous) = self.previous.take() else {
            return;
        };
        with_current(Inner::flush);
        let left = CURRENT.try_with(|current| {
            let mut current = current.try_borrow_mut().ok()?;
            Some(std::mem::replace(&mut **current, previous))
        });
        // Dropped once the thread-local is released.
        drop(left);
    }
}
