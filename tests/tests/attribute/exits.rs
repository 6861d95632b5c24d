//! Every way out of a `#[server_timing]` fn is timed: `return`, `?`, the end of the body, an
//! unwinding panic (marked `panicked`), and, for a future, being dropped before it completes
//! (marked `cancelled`).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use futures::FutureExt as _;
use server_timing_runtime::{Metric, Timings, server_timing};

const SLEEP: Duration = Duration::from_millis(30);
/// Generous: only a duration that measured something else entirely goes past it.
const SLACK: Duration = Duration::from_secs(5);

#[track_caller]
fn assert_slept(metric: &Metric, sleeps: u32) {
    let duration = metric.duration().expect("a timed metric has a duration");
    assert!(duration >= SLEEP * sleeps, "{metric:?}");
    assert!(duration < SLEEP * sleeps + SLACK, "{metric:?}");
}

#[derive(Clone, Copy)]
enum Exit {
    Return,
    Question,
    FallThrough,
}

#[server_timing]
fn leave(exit: Exit) -> Result<&'static str, std::num::ParseIntError> {
    std::thread::sleep(SLEEP);
    match exit {
        Exit::Return => return Ok("return"),
        Exit::Question => {
            "not a number".parse::<u8>()?;
        }
        Exit::FallThrough => {}
    }
    Ok("fall-through")
}

#[server_timing]
async fn leave_async(exit: Exit) -> Result<&'static str, std::num::ParseIntError> {
    tokio::time::sleep(SLEEP).await;
    match exit {
        Exit::Return => return Ok("return"),
        Exit::Question => {
            "not a number".parse::<u8>()?;
        }
        Exit::FallThrough => {}
    }
    Ok("fall-through")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_question_mark_and_fall_through_are_timed() {
    let timings = Timings::new();
    timings
        .scope(async {
            for exit in [Exit::Return, Exit::Question, Exit::FallThrough] {
                let sync = leave(exit);
                let async_ = leave_async(exit).await;
                assert_eq!(sync, async_);
            }
        })
        .await;
    assert_sync_and_async(&timings, ["leave", "leave_async"], (3, 0, 0));
}

/// `timings` holds the sync fn's metric and the async fn's, in that order, each with these
/// (count, cancelled, panicked) and a sleep per call.
fn assert_sync_and_async(timings: &Timings, names: [&str; 2], counts: (u32, u32, u32)) {
    let metrics = timings.metrics();
    assert_eq!(metrics.len(), 2);
    for (metric, name) in metrics.iter().zip(names) {
        assert_eq!(metric.name(), name);
        assert_eq!((metric.count(), metric.cancelled(), metric.panicked()), counts);
        assert_slept(metric, counts.0);
    }
}

#[server_timing]
fn explode() -> u32 {
    std::thread::sleep(SLEEP);
    panic!("sync failure")
}

#[server_timing]
async fn explode_async() -> u32 {
    tokio::time::sleep(SLEEP).await;
    panic!("async failure")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwinding_panic_is_timed_and_marked() {
    let timings = Timings::new();
    let sync = catch_unwind(|| timings.sync_scope(explode));
    assert!(sync.is_err());
    let async_ = timings
        .scope(AssertUnwindSafe(explode_async()).catch_unwind())
        .await;
    assert!(async_.is_err());
    assert_sync_and_async(&timings, ["explode", "explode_async"], (1, 0, 1));
}

#[server_timing]
async fn slow() -> u32 {
    tokio::time::sleep(SLEEP * 100).await;
    1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_future_dropped_before_completion_records_and_is_marked() {
    let timings = Timings::new();
    timings
        .scope(async {
            let timed_out = tokio::time::timeout(SLEEP, slow()).await;
            assert!(timed_out.is_err());
        })
        .await;
    let metrics = timings.metrics();
    assert_eq!(metrics.len(), 1);
    assert_eq!(metrics[0].name(), "slow");
    assert_eq!(
        (metrics[0].count(), metrics[0].cancelled(), metrics[0].panicked()),
        (1, 1, 0)
    );
    // Timed until the drop, not for the 100 sleeps the body would have taken.
    assert_slept(&metrics[0], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_future_never_polled_records_nothing() {
    let timings = Timings::new();
    timings.scope(async { drop(slow()) }).await;
    assert!(timings.metrics().is_empty(), "{:?}", timings.metrics());
}
