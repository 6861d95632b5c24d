//! `http::TimedResponse::on_complete` and `send_when`: the `http` adapter, without middleware. (Over
//! loopback, under load, in `on_complete::load`.)

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt as _;
use server_timing_runtime::http::timed_response;
use server_timing_runtime::{Options, Timings, record, server_timing};
use server_timing_tests::hooks::{Calls, assert_same_metrics, header_metrics};
use server_timing_tests::names::names;

#[server_timing("db", desc = "DB read")]
async fn load() {
    tokio::time::sleep(Duration::from_millis(2)).await;
}

fn head(uri: &str) -> http::request::Parts {
    http::Request::post(uri).body(()).unwrap().into_parts().0
}

#[tokio::test]
async fn called_once_with_the_metrics_the_header_carried() {
    let calls = Calls::new();
    let response = timed_response(Timings::new(), async {
        load().await;
        record("render", Duration::from_micros(250));
        http::Response::builder().status(201).body(()).unwrap()
    })
    .on_complete(&head("/orders?x=1"), calls.arc_hook())
    .await;
    let call = calls.one().await;
    assert_eq!(
        (call.method.as_str(), call.path.as_str(), call.route.as_deref()),
        ("POST", "/orders", None)
    );
    assert_eq!(call.status, 201);
    assert!(call.sent && !call.aborted);
    assert_eq!(names(&call.metrics), ["db", "render"]);
    assert_same_metrics(&call, &header_metrics(response.headers()));
}

#[tokio::test]
async fn an_err_is_a_500_and_sends_nothing() {
    let calls = Calls::new();
    let result: Result<http::Response<()>, &str> = timed_response(Timings::new(), async {
        load().await;
        Err("failed")
    })
    .on_complete(&head("/"), calls.arc_hook())
    .await;
    assert!(result.is_err());
    let call = calls.one().await;
    assert_eq!((call.status, call.sent, call.aborted), (500, false, false));
    assert_eq!(names(&call.metrics), ["db"]);
}

#[tokio::test]
async fn a_future_dropped_before_its_response_is_aborted_with_what_ran() {
    let calls = Calls::new();
    let mut response = Box::pin(
        timed_response(Timings::new(), async {
            record("before", Duration::from_millis(1));
            load().await;
            http::Response::new(())
        })
        .on_complete(&head("/"), calls.arc_hook()),
    );
    // One poll: `before` recorded, `load` waiting on its timer.
    assert!((&mut response).now_or_never().is_none());
    drop(response);
    let call = calls.one().await;
    assert_eq!((call.status, call.sent, call.aborted), (499, false, true));
    assert_eq!(names(&call.metrics), ["before", "db"]);
    assert_eq!(call.metric("db").cancelled(), 1);
}

#[tokio::test]
async fn send_when_false_collects_without_sending() {
    let calls = Calls::new();
    let response = timed_response(Timings::with_options(Options::new().no_total()), async {
        load().await;
        http::Response::new(())
    })
    .send_when(false)
    .on_complete(&head("/"), calls.arc_hook())
    .await;
    assert!(!response.headers().contains_key("server-timing"));
    let call = calls.one().await;
    assert!(!call.sent && !call.aborted);
    assert_eq!(names(&call.metrics), ["db"]);
}

#[tokio::test]
async fn a_panicking_hook_leaves_the_response_alone() {
    let hook: Arc<dyn Fn(&server_timing_runtime::Completed<'_>) + Send + Sync> =
        Arc::new(|_| panic!("hook panic (expected by the test)"));
    let response = timed_response(Timings::new(), async { http::Response::new(()) })
        .on_complete(&head("/"), hook)
        .await;
    assert!(response.headers().contains_key("server-timing"));
}
