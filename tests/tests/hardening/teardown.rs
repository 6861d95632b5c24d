//! Thread teardown: every recording API, called from a thread-local's destructor while the
//! thread's locals are destroyed, neither panics (which would abort the process) nor loses
//! what it records inside a scope; the same on tokio worker threads at runtime shutdown.
//! (`collector::scopes` covers the basic `record` / `timer` / `sync_scope` case.)

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use server_timing_runtime::{
    FutureExt, Metric, Scope, Timer, Timings, describe, record, record_value, server_timing, timer,
};
use server_timing_tests::memory;
use server_timing_tests::names::names;
use server_timing_tests::polling::poll_once;

#[server_timing("sync_fn")]
fn sync_fn() {}

#[server_timing("async_fn")]
async fn async_fn() {}

#[server_timing("pending")]
async fn pending() {
    std::future::pending::<()>().await;
}

/// Calls every recording API, each under its own name, in a scope or not.
fn record_everything(in_scope: bool) {
    assert_eq!(Timings::current().is_some(), in_scope);
    record("record", Duration::from_micros(1));
    describe("describe", "during teardown");
    record_value("value", 7.0);
    drop(timer("timer"));
    sync_fn();
    assert!(poll_once(async_fn()).is_ready());
    assert!(poll_once(async {}.timed("timed")).is_ready());
    assert!(poll_once(async { record("carried", Duration::ZERO) }.in_current_timings()).is_ready());
}

const EVERYTHING: [&str; 8] = [
    "record", "describe", "value", "timer", "sync_fn", "async_fn", "timed", "carried",
];

/// A scoped future, polled once and left pending.
type PendingScope = Pin<Box<Scope<Pin<Box<dyn Future<Output = ()> + Send>>>>>;

/// Dropped with its thread's locals: records everything outside any scope (no-ops), then
/// inside its collector's scope, and drops a running timer and a pending scoped future.
struct RecordsOnTeardown {
    timings: Timings,
    running_timer: Option<Timer>,
    pending_scope: Option<PendingScope>,
}

impl Drop for RecordsOnTeardown {
    fn drop(&mut self) {
        record_everything(false);
        self.timings.sync_scope(|| record_everything(true));
        drop(self.running_timer.take());
        drop(self.pending_scope.take());
    }
}

thread_local! {
    static HOLDER: RefCell<Option<RecordsOnTeardown>> = const { RefCell::new(None) };
}

/// A holder whose timer is running and whose scoped future is pending in `pending`.
fn holder(timings: &Timings) -> RecordsOnTeardown {
    let running_timer = timings.sync_scope(|| timer("held_timer"));
    let mut pending_scope: PendingScope = Box::pin(timings.scope(Box::pin(pending())));
    assert!(poll_once(pending_scope.as_mut()).is_pending());
    RecordsOnTeardown {
        timings: timings.clone(),
        running_timer: Some(running_timer),
        pending_scope: Some(pending_scope),
    }
}

#[test]
fn every_recording_api_during_thread_local_teardown_records_without_panicking() {
    let _shared = memory::shared_blocking();
    let timings = Timings::new();
    let for_thread = timings.clone();
    std::thread::spawn(move || HOLDER.with(|h| *h.borrow_mut() = Some(holder(&for_thread))))
        .join()
        .expect("thread teardown must not panic");
    let metrics = timings.metrics();
    // The timer and the pending future started first.
    let mut expected = vec!["held_timer", "pending"];
    expected.extend(EVERYTHING.iter().copied());
    assert_eq!(names(&metrics), expected, "recorded in scope only, nothing lost");
    let pending = metrics.iter().find(|m| m.name() == "pending").expect("pending");
    assert_eq!(
        pending.cancelled(),
        1,
        "a future dropped at teardown is marked cancelled"
    );
    assert!(
        timings.finish().is_some(),
        "the collector still writes its header"
    );
}

#[test]
fn recording_on_tokio_workers_at_runtime_shutdown_does_not_panic() {
    let _shared = memory::shared_blocking();
    const TASKS: usize = 16;
    static HOLDERS: AtomicUsize = AtomicUsize::new(0);
    let timings = Timings::new();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (started, mut all_started) = tokio::sync::mpsc::channel(TASKS);
    for _ in 0..TASKS {
        let (timings, started) = (timings.clone(), started.clone());
        rt.spawn(timings.clone().scope(async move {
            HOLDER.with(|h| {
                let mut h = h.borrow_mut();
                if h.is_none() {
                    *h = Some(holder(&timings));
                    HOLDERS.fetch_add(1, Ordering::SeqCst);
                }
            });
            let _held = timer("task_timer");
            started.send(()).await.expect("the test waits");
            pending().await;
        }));
    }
    rt.block_on(async {
        for _ in 0..TASKS {
            all_started.recv().await.expect("every task starts");
        }
    });
    // Joins the worker threads: their pending tasks are dropped, then their locals.
    rt.shutdown_timeout(Duration::from_secs(10));
    let holders = HOLDERS.load(Ordering::SeqCst);
    assert!(
        (1..=2).contains(&holders),
        "{holders} worker threads held a recorder"
    );
    let metrics = timings.metrics();
    let count = |name: &str| {
        metrics
            .iter()
            .find(|m| m.name() == name)
            .map_or(0, |m| m.count() as usize)
    };
    let cancelled = |name: &str| {
        metrics
            .iter()
            .find(|m| m.name() == name)
            .map_or(0, |m| m.cancelled() as usize)
    };
    assert_eq!(count("task_timer"), TASKS, "every dropped task's timer recorded");
    assert_eq!(
        count("pending"),
        TASKS + holders,
        "the tasks' and the holders' pending futures"
    );
    assert_eq!(cancelled("pending"), TASKS + holders, "all of them cancelled");
    for name in EVERYTHING.into_iter().filter(|&name| name != "describe") {
        assert_eq!(count(name), holders, "{name}: once per worker thread's teardown");
    }
    // A description alone counts no call: its presence is what shows.
    let described = metrics
        .iter()
        .find(|m| m.name() == "describe")
        .and_then(Metric::description);
    assert_eq!(described, Some("during teardown"));
    assert_eq!(count("held_timer"), holders);
}
