//! Polling a future by hand, with a waker that does nothing: no executor (and none of an
//! executor's thread-locals) involved.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

/// Poll `future` once; a future polled again goes in as `Pin<&mut F>` (`call.as_mut()`).
pub fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let future = pin!(future);
    future.poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
}
