//! Work handed to `spawn_blocking` records into the request with one call:
//! `Timings::current_scope(work)`, as `in_current_timings` does for futures.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use server_timing_runtime::{Options, Timings, server_timing};
use server_timing_tests::both_adapters::both;

#[server_timing("blocking", desc = "Blocking work")]
fn blocking_work(n: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(3));
    n * 2
}

fn hands_off() -> Pin<Box<dyn Future<Output = String> + Send>> {
    Box::pin(async {
        let doubled = tokio::task::spawn_blocking(Timings::current_scope(|| blocking_work(21)))
            .await
            .expect("the work ran");
        doubled.to_string()
    })
}

#[test]
fn a_closure_on_a_blocking_thread_records_into_the_request() {
    for answer in both(Options::new(), hands_off) {
        assert_eq!(answer.body, "42", "{}", answer.adapter);
        let blocking = answer.metric("blocking");
        assert_eq!(blocking.description, "Blocking work", "{}", answer.adapter);
        assert!(blocking.duration >= 3.0, "{}: {blocking:?}", answer.adapter);
    }
}

#[test]
fn outside_a_scope_the_closure_runs_as_it_is() {
    let work = Timings::current_scope(|| Timings::current().is_none());
    assert!(std::thread::spawn(work).join().expect("ran"));
}
