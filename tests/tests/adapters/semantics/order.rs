//! Entries are written in the order their first call started: callers before the calls they
//! make, across awaits and threads; `total` first.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use server_timing_runtime::{Options, Repeated, Timings, record, server_timing, timer};
use server_timing_tests::both_adapters::both;
use server_timing_tests::names::names;
use tracing_subscriber::layer::SubscriberExt;

#[server_timing]
async fn inner() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

#[server_timing]
async fn outer() {
    tokio::time::sleep(Duration::from_millis(2)).await;
    inner().await;
}

#[server_timing]
fn leaf() {
    std::thread::sleep(Duration::from_millis(1));
}

#[server_timing]
fn branch() {
    leaf();
}

#[server_timing]
async fn first() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[server_timing]
fn second() {}

fn nested_async() -> Pin<Box<dyn Future<Output = String> + Send>> {
    Box::pin(async {
        outer().await;
        String::new()
    })
}

fn nested_sync_then_sequential() -> Pin<Box<dyn Future<Output = String> + Send>> {
    Box::pin(async {
        branch();
        first().await;
        second();
        String::new()
    })
}

#[server_timing]
fn on_a_blocking_thread() {
    std::thread::sleep(Duration::from_millis(2));
}

#[server_timing]
async fn hands_off() {
    let work = Timings::current_scope(on_a_blocking_thread);
    tokio::task::spawn_blocking(work).await.expect("the work ran");
}

fn across_threads() -> Pin<Box<dyn Future<Output = String> + Send>> {
    Box::pin(async {
        hands_off().await;
        String::new()
    })
}

#[test]
fn a_caller_comes_before_the_call_it_awaits() {
    for answer in both(Options::new(), nested_async) {
        assert_eq!(
            names(&answer.metrics),
            ["total", "outer", "inner"],
            "{}",
            answer.adapter
        );
    }
}

#[test]
fn nested_sync_calls_and_sequential_calls_are_in_the_order_they_started() {
    for answer in both(Options::new(), nested_sync_then_sequential) {
        assert_eq!(
            names(&answer.metrics),
            ["total", "branch", "leaf", "first", "second"],
            "{}",
            answer.adapter
        );
    }
}

#[test]
fn a_caller_comes_before_the_work_it_hands_to_another_thread() {
    for answer in both(Options::new(), across_threads) {
        assert_eq!(
            names(&answer.metrics),
            ["total", "hands_off", "on_a_blocking_thread"],
            "{}",
            answer.adapter
        );
    }
}

#[test]
fn each_recording_is_in_the_order_it_started_too() {
    let timings = Timings::with_options(Options::new().repeated(Repeated::Each).no_total());
    timings.sync_scope(|| {
        let outer = timer("outer");
        branch();
        drop(outer);
        branch();
    });
    let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(names, ["outer", "branch", "leaf", "branch", "leaf"]);
}

#[test]
fn a_name_moves_up_when_an_earlier_started_call_of_it_ends_later() {
    // `a` ends first, but a call of `b` that started before it ends after it: `b` first.
    let timings = Timings::with_options(Options::new().no_total());
    timings.sync_scope(|| {
        let b = timer("b");
        let a = timer("a");
        drop(a);
        drop(b);
        // A duration given after the fact has no start: it goes where it is recorded.
        record("c", Duration::from_secs(1));
    });
    let value = timings.finish().expect("a value");
    let names: Vec<_> = server_timing_runtime::parse(value.to_str().expect("ASCII"))
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["b", "a", "c"]);
}

#[test]
fn work_that_started_before_the_collector_comes_first_and_counts_whole() {
    // A mapped event reports its duration when it ends: a statement that began two seconds
    // before this request's collector was made still counts its two seconds, and comes first.
    let subscriber = tracing_subscriber::registry()
        .with(server_timing_runtime::tracing::layer().event("sqlx::query", "db"));
    let timings = tracing::subscriber::with_default(subscriber, || {
        let timings = Timings::with_options(Options::new().no_total());
        timings.sync_scope(|| {
            branch();
            tracing::debug!(target: "sqlx::query", summary = "select 1", elapsed_secs = 2.0);
        });
        timings
    });
    let metrics = timings.metrics();
    let names: Vec<_> = metrics.iter().map(|m| m.name()).collect();
    assert_eq!(names, ["db", "branch", "leaf"]);
    assert_eq!(metrics[0].duration(), Some(Duration::from_secs(2)));
}
