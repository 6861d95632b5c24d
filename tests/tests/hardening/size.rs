//! Size: a request that records 10,000 names keeps at most `max_metrics` of them, writes a
//! header within its byte budget, and says exactly how many it left out; the whole response
//! head stays far below the 8 KiB that proxies commonly accept.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::{
    DEFAULT_HEADER_BUDGET, DEFAULT_MAX_METRICS, OMITTED_NAME, ParsedMetric, Repeated, Timings, parse, record,
    server_timing,
};
use server_timing_tests::actix_server::{ActixServer, serve_with_workers};
use server_timing_tests::clients::http1_client;
use server_timing_tests::memory;
use server_timing_tests::names::names;
use server_timing_tests::raw_http::raw_exchange;

const RECORDINGS: usize = 10_000;

fn distinct_name(i: usize, pad: usize) -> String {
    format!("m{i:05}{}", "x".repeat(pad))
}

/// What the collector holds, seen from inside the handler: `<metrics> <omitted>`.
fn collector_state() -> String {
    let timings = Timings::current().expect("the middleware's collector");
    format!("{} {}", timings.metrics().len(), timings.omitted())
}

async fn distinct(pad: web::Path<usize>) -> HttpResponse {
    for i in 0..RECORDINGS {
        record(distinct_name(i, *pad), Duration::from_micros(1));
    }
    HttpResponse::Ok().body(collector_state())
}

async fn one_name() -> HttpResponse {
    for _ in 0..RECORDINGS {
        record("same", Duration::from_micros(1));
    }
    HttpResponse::Ok().body(collector_state())
}

#[server_timing]
fn tick() {}

async fn instrumented_loop() -> HttpResponse {
    for _ in 0..RECORDINGS {
        tick();
    }
    HttpResponse::Ok().body(collector_state())
}

fn start(timing: ServerTiming) -> ActixServer {
    serve_with_workers(1, timing, |cfg| {
        cfg.route("/distinct/{pad}", web::get().to(distinct))
            .route("/one-name", web::get().to(one_name))
            .route("/loop", web::get().to(instrumented_loop));
    })
}

/// The response's only `Server-Timing` field, parsed, and the collector state the body reports.
async fn fetch(server: &ActixServer, path: &str) -> (String, Vec<ParsedMetric>, String) {
    let response = http1_client()
        .get(server.url(path))
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status(), 200);
    let fields: Vec<String> = response
        .headers()
        .get_all("server-timing")
        .iter()
        .map(|v| v.to_str().expect("visible ASCII").to_owned())
        .collect();
    assert_eq!(fields.len(), 1, "{fields:?}");
    let field = fields.into_iter().next().expect("one field");
    let metrics = parse(&field);
    (field, metrics, response.text().await.expect("a body"))
}

/// The number an `omitted;desc="N metrics"` entry reports.
fn omitted_count(entry: &ParsedMetric) -> usize {
    assert_eq!(entry.name, OMITTED_NAME);
    entry
        .description
        .strip_suffix(" metrics")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("an omitted count in {:?}", entry.description))
}

#[actix_web::test]
async fn ten_thousand_distinct_names_keep_max_metrics_and_count_the_rest() {
    let _shared = memory::shared().await;
    let server = start(ServerTiming::new());
    let (field, metrics, state) = fetch(&server, "/distinct/0").await;
    let left_out = RECORDINGS - DEFAULT_MAX_METRICS;
    assert_eq!(
        state,
        format!("{DEFAULT_MAX_METRICS} {left_out}"),
        "the collector's bound"
    );
    assert!(field.len() <= DEFAULT_HEADER_BUDGET, "{} bytes", field.len());
    let expected: Vec<String> = std::iter::once("total".to_owned())
        .chain((0..DEFAULT_MAX_METRICS).map(|i| distinct_name(i, 0)))
        .chain(std::iter::once(OMITTED_NAME.to_owned()))
        .collect();
    assert_eq!(names(&metrics), expected);
    assert_eq!(
        omitted_count(metrics.last().expect("entries")),
        left_out,
        "{field}"
    );
    server.stop().await;
}

#[actix_web::test]
async fn names_past_the_byte_budget_are_left_out_whole_and_counted() {
    let _shared = memory::shared().await;
    let server = start(ServerTiming::new());
    let (field, metrics, state) = fetch(&server, "/distinct/40").await;
    assert_eq!(
        state,
        format!("{DEFAULT_MAX_METRICS} {}", RECORDINGS - DEFAULT_MAX_METRICS)
    );
    assert!(field.len() <= DEFAULT_HEADER_BUDGET, "{} bytes", field.len());
    let kept = &metrics[1..metrics.len() - 1];
    assert!(
        kept.len() < DEFAULT_MAX_METRICS,
        "the budget, not the count, should bind here"
    );
    let expected: Vec<String> = (0..kept.len()).map(|i| distinct_name(i, 40)).collect();
    assert_eq!(names(kept), expected, "whole entries, in recording order");
    let left_out = omitted_count(metrics.last().expect("entries"));
    assert_eq!(
        kept.len() + left_out,
        RECORDINGS,
        "every recording is kept or counted: {field}"
    );
    server.stop().await;
}

#[actix_web::test]
async fn the_whole_response_head_stays_under_4_kib() {
    let _shared = memory::shared().await;
    let server = start(ServerTiming::new());
    let request = format!(
        "GET /distinct/40 HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n\r\n",
        server.addr
    );
    let response = raw_exchange(server.addr, request.as_bytes(), Duration::from_secs(20)).await;
    assert_eq!(response.lines[0], b"HTTP/1.1 200 OK");
    let timing = response
        .fields()
        .into_iter()
        .find(|(name, _)| name == "server-timing")
        .expect("a Server-Timing field");
    // The budget is used, not undercut: a smaller one would hide this test's point.
    assert!(
        timing.1.len() > DEFAULT_HEADER_BUDGET / 2,
        "{} bytes",
        timing.1.len()
    );
    // Leaves at least 4 KiB of a common 8 KiB limit for the application's own headers.
    assert!(
        response.head_len < 4096,
        "a {}-byte response head",
        response.head_len
    );
    server.stop().await;
}

#[actix_web::test]
async fn ten_thousand_recordings_kept_each_are_capped_and_counted() {
    let _shared = memory::shared().await;
    let server = start(ServerTiming::new().repeated(Repeated::Each));
    let (field, metrics, state) = fetch(&server, "/one-name").await;
    let left_out = RECORDINGS - DEFAULT_MAX_METRICS;
    assert_eq!(state, format!("{DEFAULT_MAX_METRICS} {left_out}"));
    assert!(field.len() <= DEFAULT_HEADER_BUDGET, "{} bytes", field.len());
    let same = metrics.iter().filter(|m| m.name == "same").count();
    assert!(same > 0 && same <= DEFAULT_MAX_METRICS, "{field}");
    assert_eq!(
        metrics.len(),
        1 + same + 1,
        "total, the kept entries, omitted: {field}"
    );
    assert_eq!(
        same + omitted_count(metrics.last().expect("entries")),
        RECORDINGS,
        "every recording is kept or counted: {field}"
    );
    server.stop().await;
}

#[actix_web::test]
async fn a_loop_of_ten_thousand_instrumented_calls_is_one_entry() {
    let _shared = memory::shared().await;
    let server = start(ServerTiming::new());
    let (field, metrics, state) = fetch(&server, "/loop").await;
    assert_eq!(state, "1 0");
    assert_eq!(names(&metrics), ["total", "tick"], "{field}");
    assert_eq!(metrics[1].description, format!("{RECORDINGS} calls"));
    server.stop().await;
}
