//! Fns that return a future without being `async fn`: `#[async_trait]` methods, bodies ending
//! in `Box::pin(async move { .. })` or `async move { .. }`, and `impl Future` returns. The
//! future's execution is timed, from its first poll to its completion; not its construction,
//! and not the time it waits before its first poll.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use server_timing_runtime::{FutureExt, Metric, Timings, server_timing};

/// What each future does once polled.
const WORK: Duration = Duration::from_millis(30);
/// What each fn does before it returns its future, and how long the futures then wait before
/// they are awaited: neither may show in a duration.
const IDLE: Duration = Duration::from_millis(300);

async fn work() -> u32 {
    tokio::time::sleep(WORK).await;
    1
}

#[async_trait]
trait Repo {
    async fn load(&self) -> u32;

    #[server_timing("repo_default")]
    async fn load_twice(&self) -> u32 {
        self.load().await + self.load().await
    }
}

struct Pg;

#[async_trait]
impl Repo for Pg {
    #[server_timing("pg_load")]
    async fn load(&self) -> u32 {
        work().await
    }
}

/// Never finishes once polled, so only its caller's timeout ends it, however slow the machine.
struct Stuck;

#[async_trait]
impl Repo for Stuck {
    #[server_timing("stuck_load")]
    async fn load(&self) -> u32 {
        std::future::pending().await
    }
}

#[server_timing]
fn box_pin_tail(n: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    std::thread::sleep(IDLE);
    Box::pin(async move { work().await * n })
}

#[server_timing]
fn async_move_tail(n: u32) -> impl Future<Output = u32> + Send {
    std::thread::sleep(IDLE);
    async move { work().await * n }
}

#[server_timing]
fn delegating(n: u32) -> impl Future<Output = u32> + Send {
    std::thread::sleep(IDLE);
    if n == 0 {
        return futures::future::Either::Left(futures::future::ready(0));
    }
    futures::future::Either::Right(work())
}

#[server_timing]
async fn plain_async() -> u32 {
    work().await
}

#[track_caller]
fn assert_execution_only(metric: &Metric, works: u32) {
    let duration = metric.duration().expect("a timed metric has a duration");
    assert!(duration >= WORK * works, "{metric:?}");
    assert!(
        duration < IDLE,
        "the wait before the first poll was timed: {metric:?}"
    );
    assert_eq!(
        (metric.count(), metric.cancelled(), metric.panicked()),
        (1, 0, 0),
        "{metric:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_future_is_timed_not_its_construction() {
    let timings = Timings::new();
    let total = timings
        .scope(async {
            let futures = (
                Pg.load(),
                Pg.load_twice(),
                box_pin_tail(2),
                async_move_tail(3),
                delegating(4),
                plain_async(),
            );
            assert!(Timings::current().unwrap().metrics().is_empty());
            tokio::time::sleep(IDLE).await;
            let (a, b, c, d, e, f) = futures;
            // `load_twice` calls `load` twice, each recorded under `pg_load`.
            a.await + b.await + c.await + d.await + e.await + f.await
        })
        .await;
    assert_eq!(total, 1 + 2 + 2 + 3 + 1 + 1);
    let metrics = timings.metrics();
    let names: Vec<_> = metrics.iter().map(Metric::name).collect();
    assert_eq!(
        names,
        [
            "pg_load",
            "repo_default",
            "box_pin_tail",
            "async_move_tail",
            "delegating",
            "plain_async"
        ]
    );
    assert_eq!(metrics[0].count(), 1 + 2);
    assert!(metrics[0].duration().unwrap() >= WORK * 3, "{:?}", metrics[0]);
    assert_execution_only(&metrics[1], 2);
    for metric in &metrics[2..] {
        assert_execution_only(metric, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_return_of_a_ready_future_is_timed_too() {
    let timings = Timings::new();
    assert_eq!(timings.scope(delegating(0)).await, 0);
    let metrics = timings.metrics();
    assert_eq!((metrics[0].name(), metrics[0].count()), ("delegating", 1));
    assert!(metrics[0].duration().unwrap() < IDLE, "{:?}", metrics[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_trait_futures_are_send_and_record_from_spawned_tasks() {
    let timings = Timings::new();
    let loaded = timings
        .scope(async {
            let task = tokio::spawn(async { Pg.load_twice().await }.in_current_timings());
            task.await.expect("the task does not panic")
        })
        .await;
    assert_eq!(loaded, 2);
    let metrics = timings.metrics();
    let counts: Vec<_> = metrics.iter().map(|m| (m.name(), m.count())).collect();
    // The caller first: `repo_default` calls `pg_load`.
    assert_eq!(counts, [("repo_default", 1), ("pg_load", 2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_async_trait_future_is_marked_cancelled() {
    let timings = Timings::new();
    timings
        .scope(async {
            let timed_out = tokio::time::timeout(WORK / 2, Stuck.load()).await;
            assert!(timed_out.is_err());
        })
        .await;
    let metrics = timings.metrics();
    assert_eq!(metrics[0].name(), "stuck_load");
    assert_eq!((metrics[0].count(), metrics[0].cancelled()), (1, 1));
    assert!(metrics[0].duration().unwrap() >= WORK / 2, "{:?}", metrics[0]);
}
