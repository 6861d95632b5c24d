//! Overlapping calls of one name report the wall-clock time during which at least one of them
//! ran (the union of their intervals), never more than the request; sequential calls still
//! add up; the count stays in the description.

use std::time::{Duration, Instant};

use server_timing_runtime::{FutureExt, Options, Repeated, Timings, server_timing};
use server_timing_tests::both_adapters::{Answer, both};

#[server_timing("left")]
async fn left(ms: u64) -> Duration {
    let start = Instant::now();
    tokio::time::sleep(Duration::from_millis(ms)).await;
    start.elapsed()
}

/// Asserts that `left` reads what the handler's own clock said in its body (`what` it is),
/// within 5%, and no more than `total`; returns the metric's description.
fn assert_left_reads_the_body(answer: &Answer, what: &str) -> String {
    let expected: f64 = answer.body.parse().expect("a number");
    let left = answer.metric("left");
    assert!(
        (left.duration - expected).abs() <= expected * 0.05,
        "{}: left {} ms against {what} {expected} ms",
        answer.adapter,
        left.duration
    );
    let total = answer.metric("total");
    assert!(
        left.duration <= total.duration,
        "{}: left {} ms above total {} ms",
        answer.adapter,
        left.duration,
        total.duration
    );
    left.description.clone()
}

/// Two calls side by side: the body says how long the longer one took, as it measured itself.
fn joined() -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>> {
    Box::pin(async {
        let (a, b) = tokio::join!(left(40), left(60));
        format!("{}", a.max(b).as_secs_f64() * 1e3)
    })
}

#[test]
fn a_join_of_two_calls_is_as_long_as_the_longer_one_and_never_above_total() {
    for answer in both(Options::new(), joined) {
        let description = assert_left_reads_the_body(&answer, "the longer call's");
        assert_eq!(description, "2 calls", "{}", answer.adapter);
    }
}

/// Calls one after another: their durations add up, as before.
fn sequential() -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>> {
    Box::pin(async {
        let a = left(15).await;
        let b = left(25).await;
        format!("{}", (a + b).as_secs_f64() * 1e3)
    })
}

#[test]
fn sequential_calls_still_add_up() {
    for answer in both(Options::new(), sequential) {
        let description = assert_left_reads_the_body(&answer, "the calls' own sum");
        assert_eq!(description, "2 calls", "{}", answer.adapter);
    }
}

/// A spawned task (on another worker thread, with the tower adapter) alongside the handler's
/// own call of the same name.
fn spawned() -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>> {
    Box::pin(async {
        let task = tokio::spawn(left(60).in_current_timings());
        let own = left(30).await;
        let other = task.await.expect("the task ran");
        format!("{}", own.max(other).as_secs_f64() * 1e3)
    })
}

#[test]
fn a_spawned_call_alongside_the_handler_counts_once() {
    for answer in both(Options::new(), spawned) {
        assert_left_reads_the_body(&answer, "the longer call's");
    }
}

#[server_timing("step")]
fn step() {
    std::thread::sleep(Duration::from_micros(200));
}

#[server_timing("walk")]
fn walk(depth: u32) {
    step();
    if depth > 0 {
        walk(depth - 1);
    }
}

#[test]
fn nested_calls_of_one_name_count_the_outermost_once() {
    let timings = Timings::new();
    let started = Instant::now();
    timings.sync_scope(|| walk(20));
    let wall = started.elapsed();
    let metrics = timings.metrics();
    let walk = metrics.iter().find(|m| m.name() == "walk").expect("walk");
    let step = metrics.iter().find(|m| m.name() == "step").expect("step");
    assert_eq!(walk.count(), 21);
    // 21 nested calls, one inside the other: the outermost one's time, not 21 times it.
    assert!(walk.duration().expect("timed") <= wall, "{walk:?} above {wall:?}");
    assert!(walk.duration().expect("timed") >= step.duration().expect("timed"));
    // The steps do not overlap: their durations add up.
    assert!(step.duration().expect("timed") >= Duration::from_micros(200 * 21));
}

#[test]
fn a_loop_of_overlapping_calls_stays_bounded_and_below_the_request() {
    // 2,000 `join!`s of two calls each: the union, in bounded memory, never above the
    // wall-clock time of the whole loop; `Each` is unchanged: one entry per call.
    #[server_timing("pair")]
    async fn pair() {
        futures::future::ready(()).await;
    }
    let timings = Timings::new();
    let started = Instant::now();
    futures::executor::block_on(timings.scope(async {
        for _ in 0..2_000 {
            futures::future::join(pair(), pair()).await;
        }
    }));
    let wall = started.elapsed();
    let metrics = timings.metrics();
    assert_eq!(metrics.len(), 1);
    assert_eq!(metrics[0].count(), 4_000);
    assert!(metrics[0].duration().expect("timed") <= wall);

    let each = Timings::with_options(Options::new().repeated(Repeated::Each).max_metrics(10));
    futures::executor::block_on(each.scope(async {
        futures::future::join(pair(), pair()).await;
    }));
    assert_eq!(each.metrics().len(), 2);
}
