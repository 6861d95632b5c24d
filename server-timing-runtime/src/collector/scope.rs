//! A future run with a collector current: on every poll, and while it is dropped
//! ([`Timings::scope`] makes one).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::collector::current::Entered;
use crate::collector::timings::Timings;

pin_project! {
    /// A future run with a collector current: made by [`Timings::scope`] and
    /// [`FutureExt::in_current_timings`](crate::FutureExt::in_current_timings).
    ///
    /// ```
    /// use server_timing_runtime::{Scope, Timings};
    /// let scoped: Scope<_> = Timings::new().scope(async { Timings::current().is_some() });
    /// assert!(futures::executor::block_on(scoped));
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct Scope<F> {
        timings: Option<Timings>,
        // `None` only while the scope is dropped, so that the future is dropped with the
        // collector current.
        #[pin]
        future: Option<F>,
    }

    impl<F> PinnedDrop for Scope<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            let _entered = Entered::new(this.timings.as_ref().map(Timings::inner));
            this.future.set(None);
        }
    }
}

impl Timings {
    /// Run `future` with this collector current during every poll of it, and while it is
    /// dropped.
    ///
    /// ```
    /// use server_timing_runtime::{record, Timings};
    /// # futures::executor::block_on(async {
    /// let timings = Timings::new();
    /// timings.scope(async { record("db", std::time::Duration::ZERO) }).await;
    /// assert_eq!(timings.metrics().len(), 1);
    /// # });
    /// ```
    pub fn scope<F: Future>(&self, future: F) -> Scope<F> {
        Scope::new(Some(self.clone()), future)
    }
}

impl<F> Scope<F> {
    pub(crate) fn new(timings: Option<Timings>, future: F) -> Self {
        Scope {
            timings,
            future: Some(future),
        }
    }

    /// The collector this scope makes current, if any.
    ///
    /// ```
    /// use server_timing_runtime::Timings;
    /// let scoped = Timings::new().scope(async {});
    /// assert!(scoped.timings().is_some());
    /// ```
    pub fn timings(&self) -> Option<&Timings> {
        self.timings.as_ref()
    }
}

impl<F: Future> Future for Scope<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = Entered::new(this.timings.as_ref().map(Timings::inner));
        match this.future.as_pin_mut() {
            Some(future) => future.poll(cx),
            // Only reachable from inside our own drop, which never polls.
            None => Poll::Pending,
        }
    }
}
