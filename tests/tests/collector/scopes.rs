//! The collector is current exactly where it should be: on every executor, across spawned
//! work, and nowhere else.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use server_timing_runtime::{FutureExt, Timings, record, timer};
use server_timing_tests::names::names;

async fn work() {
    record("a", Duration::from_millis(1));
    tokio::task::yield_now().await;
    record("b", Duration::from_millis(1));
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn multi_thread(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

#[test]
fn current_on_every_poll_with_futures_block_on() {
    let timings = Timings::new();
    futures::executor::block_on(timings.scope(async {
        record("a", Duration::from_millis(1));
        futures::future::ready(()).await;
        record("b", Duration::from_millis(1));
    }));
    assert_eq!(names(&timings), ["a", "b"]);
}

#[test]
fn current_on_every_poll_with_tokio_current_thread() {
    let rt = current_thread();
    let timings = Timings::new();
    rt.block_on(timings.scope(work()));
    assert_eq!(names(&timings), ["a", "b"]);
}

#[test]
fn current_on_every_poll_with_tokio_multi_thread() {
    let rt = multi_thread(2);
    let timings = Timings::new();
    let t = timings.clone();
    // Spawned, so polls may move between worker threads.
    rt.block_on(async move { tokio::spawn(t.scope(work())).await.unwrap() });
    assert_eq!(names(&timings), ["a", "b"]);
}

#[test]
fn interleaved_requests_on_one_thread_stay_apart() {
    let rt = current_thread();
    let (first, second) = (Timings::new(), Timings::new());
    rt.block_on(async {
        let one = first.scope(async {
            for _ in 0..10 {
                record("first", Duration::ZERO);
                tokio::task::yield_now().await;
            }
        });
        let two = second.scope(async {
            for _ in 0..10 {
                record("second", Duration::ZERO);
                tokio::task::yield_now().await;
            }
        });
        tokio::join!(one, two);
    });
    assert_eq!(names(&first), ["first"]);
    assert_eq!(first.metrics()[0].count(), 10);
    assert_eq!(names(&second), ["second"]);
    assert_eq!(second.metrics()[0].count(), 10);
}

#[test]
fn outside_any_scope_nothing_is_current_and_nothing_records() {
    assert!(Timings::current().is_none());
    record("nowhere", Duration::from_millis(1));
    assert_eq!(timer("nowhere").stop(), None, "an inert timer reads no clock");
    let timings = Timings::new();
    // A scope ends with its poll: the same thread is outside again afterwards.
    futures::executor::block_on(timings.scope(async {}));
    record("after", Duration::from_millis(1));
    assert!(Timings::current().is_none());
    assert!(timings.metrics().is_empty());
}

#[test]
fn nested_scopes_restore_the_outer_collector() {
    let (outer, inner) = (Timings::new(), Timings::new());
    outer.sync_scope(|| {
        record("outer-1", Duration::ZERO);
        inner.sync_scope(|| record("inner", Duration::ZERO));
        record("outer-2", Duration::ZERO);
    });
    assert_eq!(names(&outer), ["outer-1", "outer-2"]);
    assert_eq!(names(&inner), ["inner"]);
}

#[test]
fn a_panic_inside_a_scope_restores_the_previous_collector() {
    let timings = Timings::new();
    let caught = std::panic::catch_unwind(|| timings.sync_scope(|| panic!("boom")));
    assert!(caught.is_err());
    assert!(Timings::current().is_none());
}

#[test]
fn a_scoped_future_is_dropped_with_its_collector_current() {
    struct RecordOnDrop;
    impl Drop for RecordOnDrop {
        fn drop(&mut self) {
            record("dropped", Duration::ZERO);
        }
    }
    let timings = Timings::new();
    let guard = RecordOnDrop;
    let scoped = timings.scope(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    let mut scoped = Box::pin(scoped);
    let waker = futures::task::noop_waker();
    let _ = scoped.as_mut().poll(&mut std::task::Context::from_waker(&waker));
    drop(scoped);
    assert_eq!(names(&timings), ["dropped"]);
}

#[test]
fn spawned_tasks_record_into_the_request_with_exact_counts() {
    const TASKS: usize = 64;
    const EACH: usize = 500;
    let rt = multi_thread(4);
    let timings = Timings::new();
    rt.block_on(timings.scope(async {
        let handles: Vec<_> = (0..TASKS)
            .map(|_| {
                tokio::spawn(
                    async {
                        for _ in 0..EACH {
                            record("spawned", Duration::from_nanos(1));
                            tokio::task::yield_now().await;
                        }
                    }
                    .in_current_timings(),
                )
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    }));
    let metrics = timings.metrics();
    assert_eq!(metrics.len(), 1);
    assert_eq!(metrics[0].count() as usize, TASKS * EACH);
    assert_eq!(
        metrics[0].duration(),
        Some(Duration::from_nanos((TASKS * EACH) as u64))
    );
}

#[test]
fn spawn_blocking_records_through_sync_scope() {
    let rt = multi_thread(2);
    let timings = Timings::new();
    rt.block_on(timings.scope(async {
        let current = Timings::current().expect("inside the scope");
        tokio::task::spawn_blocking(move || current.sync_scope(|| record("blocking", Duration::ZERO)))
            .await
            .unwrap();
    }));
    assert_eq!(names(&timings), ["blocking"]);
}

#[test]
fn many_threads_recording_at_once_lose_nothing() {
    const THREADS: usize = 8;
    const EACH: usize = 10_000;
    let timings = Arc::new(Timings::new());
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let timings = &timings;
            s.spawn(move || {
                timings.sync_scope(|| {
                    for _ in 0..EACH {
                        record("shared", Duration::from_nanos(1));
                        record(format!("thread{t}"), Duration::ZERO);
                    }
                });
            });
        }
    });
    let metrics = timings.metrics();
    assert_eq!(metrics.len(), 1 + THREADS);
    let shared = metrics.iter().find(|m| m.name() == "shared").unwrap();
    assert_eq!(shared.count() as usize, THREADS * EACH);
    for t in 0..THREADS {
        let own = metrics.iter().find(|m| m.name() == format!("thread{t}")).unwrap();
        assert_eq!(own.count() as usize, EACH);
    }
}

#[test]
fn recordings_after_the_header_was_written_are_kept_out_of_it() {
    let timings = Timings::new();
    let late = timings.clone();
    timings.sync_scope(|| record("early", Duration::ZERO));
    let header = timings.finish().unwrap();
    late.sync_scope(|| {
        record("late", Duration::ZERO);
        let _timer = timer("late-timer");
    });
    let kept: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(
        kept,
        ["early", "late", "late-timer"],
        "what was written stays readable, with what came after, for the hook"
    );
    assert!(!header.to_str().unwrap().contains("late"));
    assert_eq!(timings.finish(), None, "a second header is never written");
}

#[test]
fn recording_while_thread_locals_are_torn_down_does_not_panic() {
    struct RecordsOnTeardown(Timings);
    impl Drop for RecordsOnTeardown {
        fn drop(&mut self) {
            record("teardown", Duration::ZERO);
            let _ = Timings::current();
            drop(timer("teardown-timer"));
            self.0.sync_scope(|| record("teardown-scoped", Duration::ZERO));
        }
    }
    thread_local! {
        static HOLDER: std::cell::RefCell<Option<RecordsOnTeardown>> = const { std::cell::RefCell::new(None) };
    }
    let timings = Timings::new();
    let for_thread = timings.clone();
    std::thread::spawn(move || {
        HOLDER.with(|h| *h.borrow_mut() = Some(RecordsOnTeardown(for_thread)));
    })
    .join()
    .expect("thread teardown must not panic");
    assert_eq!(names(&timings), ["teardown-scoped"]);
}
