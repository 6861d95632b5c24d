//! A timed async call holds no collector while its first poll runs, and takes one only when
//! that poll is `Pending`. Either way it must record into the collector current at its first
//! poll, whatever is current (if anything) when it completes or is dropped.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use server_timing_runtime::{Timings, server_timing};
use server_timing_tests::names::names;
use server_timing_tests::polling::poll_once;

/// `Pending` on its first poll, ready on the next.
#[derive(Default)]
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.yielded, true) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[server_timing("suspends", desc = "waits once")]
async fn suspends() -> u8 {
    YieldOnce::default().await;
    7
}

#[server_timing("immediate")]
async fn immediate() -> u8 {
    8
}

#[test]
fn a_call_completing_in_its_first_poll_records_into_that_scope() {
    let timings = Timings::new();
    let mut call = Box::pin(immediate());
    let polled = timings.sync_scope(|| poll_once(call.as_mut()));
    assert_eq!(polled, Poll::Ready(8));
    let metrics = timings.metrics();
    assert_eq!(names(&timings), ["immediate"]);
    assert_eq!(metrics[0].count(), 1);
    assert_eq!(metrics[0].cancelled(), 0);
}

#[test]
fn a_call_completing_outside_any_scope_records_into_its_first_polls_collector() {
    let timings = Timings::new();
    let mut call = Box::pin(suspends());
    assert!(timings.sync_scope(|| poll_once(call.as_mut())).is_pending());
    assert!(timings.metrics().is_empty(), "recorded before it completed");
    assert_eq!(poll_once(call.as_mut()), Poll::Ready(7));
    assert_eq!(names(&timings), ["suspends"]);
    assert_eq!(timings.metrics()[0].description(), Some("waits once"));
}

#[test]
fn a_call_completing_in_another_requests_scope_records_into_its_own() {
    let first = Timings::new();
    let second = Timings::new();
    let mut call = Box::pin(suspends());
    assert!(first.sync_scope(|| poll_once(call.as_mut())).is_pending());
    let done = second.sync_scope(|| {
        let done = poll_once(call.as_mut());
        immediate_in_scope();
        done
    });
    assert_eq!(done, Poll::Ready(7));
    assert_eq!(names(&first), ["suspends"]);
    assert_eq!(names(&second), ["immediate"]);
}

/// A call that completes at once, in whatever scope is current.
fn immediate_in_scope() {
    let mut call = Box::pin(immediate());
    assert_eq!(poll_once(call.as_mut()), Poll::Ready(8));
}

#[test]
fn a_call_dropped_after_suspending_is_recorded_as_cancelled_in_its_own_collector() {
    let timings = Timings::new();
    let mut call = Box::pin(suspends());
    assert!(timings.sync_scope(|| poll_once(call.as_mut())).is_pending());
    drop(call);
    let metrics = timings.metrics();
    assert_eq!(names(&timings), ["suspends"]);
    assert_eq!(metrics[0].cancelled(), 1);
}

#[test]
fn a_call_first_polled_outside_any_scope_records_nothing_anywhere() {
    let timings = Timings::new();
    let mut call = Box::pin(suspends());
    assert!(poll_once(call.as_mut()).is_pending());
    assert_eq!(timings.sync_scope(|| poll_once(call.as_mut())), Poll::Ready(7));
    assert!(timings.metrics().is_empty());
}

#[server_timing("explodes")]
async fn explodes_at_once() -> u8 {
    panic!("in the first poll")
}

#[test]
fn a_call_panicking_in_its_first_poll_is_recorded_once_as_panicked() {
    let timings = Timings::new();
    let mut call = Box::pin(explodes_at_once());
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        timings.sync_scope(|| poll_once(call.as_mut()))
    }));
    assert!(caught.is_err());
    // Dropped after the panic was caught, in the same scope: it must not count a second time.
    timings.sync_scope(|| drop(call));
    let metrics = timings.metrics();
    assert_eq!(names(&timings), ["explodes"]);
    assert_eq!(
        (metrics[0].count(), metrics[0].panicked(), metrics[0].cancelled()),
        (1, 1, 0)
    );
}
