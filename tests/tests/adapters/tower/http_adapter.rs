//! `http::timed_response`: Server-Timing for a stack with no middleware support.

use std::time::Duration;

use http::{HeaderValue, Response};
use server_timing_runtime::http::timed_response;
use server_timing_runtime::{Options, Timings, parse, record};
use server_timing_tests::entries::fields;
use server_timing_tests::names::names;

#[tokio::test]
async fn a_response_gets_what_the_future_recorded_across_awaits() {
    let response = timed_response(Timings::new(), async {
        record("before", Duration::from_millis(1));
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(2)).await;
        record("after", Duration::from_millis(3));
        Response::new("body")
    })
    .await;

    assert_eq!(*response.body(), "body");
    let fields = fields(response.headers());
    assert_eq!(fields.len(), 1);
    let metrics = parse(&fields[0]);
    assert_eq!(names(&metrics), ["total", "before", "after"]);
    assert!(metrics[0].duration >= 2.0, "{metrics:?}");
    assert_eq!(metrics[2].duration, 3.0);
}

#[tokio::test]
async fn total_runs_from_when_the_collector_was_made() {
    let timings = Timings::new();
    tokio::time::sleep(Duration::from_millis(5)).await;

    let response = timed_response(timings, async { Response::new(()) }).await;

    let metrics = parse(&fields(response.headers())[0]);
    assert!(metrics[0].duration >= 5.0, "{metrics:?}");
}

#[tokio::test]
async fn an_ok_result_gets_the_field_after_the_ones_already_there() {
    let options = Options::new()
        .no_total()
        .timing_allow_origin(HeaderValue::from_static("https://app.example"));
    let result: Result<Response<()>, std::io::Error> =
        timed_response(Timings::with_options(options), async {
            record("db", Duration::from_millis(4));
            let mut response = Response::new(());
            response
                .headers_mut()
                .append("server-timing", HeaderValue::from_static("edge;dur=1"));
            Ok(response)
        })
        .await;

    let response = result.unwrap();
    assert_eq!(fields(response.headers()), ["edge;dur=1", "db;dur=4"]);
    assert_eq!(response.headers()["timing-allow-origin"], "https://app.example");
}

#[tokio::test]
async fn an_error_is_returned_untouched_and_the_collector_stays_open() {
    let timings = Timings::new();

    let result: Result<Response<()>, &str> = timed_response(timings.clone(), async {
        record("db", Duration::from_millis(1));
        Err("unavailable")
    })
    .await;

    assert_eq!(result.err(), Some("unavailable"));
    // Nothing was written, so the caller may still send the metrics with its error response.
    let value = timings.finish().expect("the collector was not closed");
    assert_eq!(names(parse(value.to_str().unwrap())), ["total", "db"]);
}

#[tokio::test]
async fn response_parts_get_the_field_too() {
    let parts = timed_response(Timings::new(), async {
        record("render", Duration::from_millis(2));
        Response::new(()).into_parts().0
    })
    .await;

    assert_eq!(names(parse(&fields(&parts.headers)[0])), ["total", "render"]);
}
