//! Outside any collector's scope, an instrumented fn runs as usual and records nothing.

use std::time::Duration;

use server_timing_runtime::{Timings, server_timing};

#[server_timing]
fn sync_work() -> u32 {
    1
}

#[server_timing]
async fn async_work() -> u32 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    2
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_outside_a_scope_are_not_recorded() {
    let timings = Timings::new();
    assert!(Timings::current().is_none());
    assert_eq!(sync_work() + async_work().await, 3);
    // A task spawned without `in_current_timings` runs outside the request's scope.
    let spawned = timings
        .scope(async { tokio::spawn(async { sync_work() + async_work().await }).await })
        .await
        .expect("the task does not panic");
    assert_eq!(spawned, 3);
    assert!(timings.metrics().is_empty(), "{:?}", timings.metrics());

    // The same calls inside the scope are recorded: the emptiness above is not an accident.
    timings.scope(async { sync_work() + async_work().await }).await;
    let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(names, ["sync_work", "async_work"]);
}

#[test]
fn a_future_built_in_a_scope_but_polled_outside_records_nothing() {
    let timings = Timings::new();
    let future = timings.sync_scope(async_work);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    assert_eq!(runtime.block_on(future), 2);
    assert!(timings.metrics().is_empty(), "{:?}", timings.metrics());
}
