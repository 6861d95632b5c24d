//! Merging a downstream service's `Server-Timing` into the current request's collector.

use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use server_timing_runtime::{
    MAX_DESCRIPTION_LEN, MAX_NAME_LEN, Options, SERVER_TIMING, Timings, parse, record, record_downstream,
};
use server_timing_tests::clients::client;
use server_timing_tests::wait::bounded;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn headers(fields: &[&[u8]]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for field in fields {
        map.append(
            SERVER_TIMING,
            HeaderValue::from_bytes(field).expect("a valid field"),
        );
    }
    map.insert("content-type", HeaderValue::from_static("text/plain"));
    map
}

/// (name, duration, description) of every metric recorded by merging `downstream`.
fn merged(
    options: Options,
    prefix: &str,
    downstream: &HeaderMap,
) -> Vec<(String, Option<Duration>, Option<String>)> {
    let timings = Timings::with_options(options);
    timings.sync_scope(|| record_downstream(prefix, downstream));
    timings
        .metrics()
        .iter()
        .map(|m| {
            (
                m.name().to_owned(),
                m.duration(),
                m.description().map(str::to_owned),
            )
        })
        .collect()
}

fn entry(name: &str, micros: u64, description: Option<&str>) -> (String, Option<Duration>, Option<String>) {
    (
        name.to_owned(),
        Some(Duration::from_micros(micros)),
        description.map(str::to_owned),
    )
}

#[test]
fn metrics_are_recorded_under_the_prefix_with_durations_and_descriptions() {
    let downstream = headers(&[br#"db;dur=12.5;desc="Users DB", cache;desc=hit, render;dur=0.25"#]);
    assert_eq!(
        merged(Options::new(), "auth", &downstream),
        [
            entry("auth.db", 12_500, Some("Users DB")),
            ("auth.cache".to_owned(), None, Some("hit".to_owned())),
            entry("auth.render", 250, None),
        ]
    );
}

#[test]
fn an_entry_without_a_duration_stays_without_one() {
    let downstream = headers(&[br#"cache;desc=hit, region;desc="eu-west", zero;dur=0"#]);
    let timings = Timings::with_options(Options::new().no_total());
    timings.sync_scope(|| record_downstream("auth", &downstream));
    let metrics = timings.metrics();
    assert_eq!(metrics[0].duration(), None, "{metrics:?}");
    assert_eq!(metrics[1].duration(), None, "{metrics:?}");
    assert_eq!(
        metrics[2].duration(),
        Some(Duration::ZERO),
        "a written 0 is a duration"
    );
    let value = timings.finish().expect("metrics were recorded");
    assert_eq!(
        value,
        "auth.cache;desc=hit, auth.region;desc=eu-west, auth.zero;dur=0"
    );
}

#[test]
fn the_downstreams_trace_entries_are_not_metrics() {
    let downstream = headers(&[
        br#"traceparent;desc="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate;desc="congo=t61rcWkgMzE""#,
        br#"TRACE;desc=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01, sentry-trace;desc="4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1""#,
        br#"baggage;desc="sentry-environment=prod", db;dur=2"#,
    ]);
    assert_eq!(
        merged(Options::new(), "inventory", &downstream),
        [entry("inventory.db", 2_000, None)]
    );
}

#[test]
fn the_written_header_carries_them_as_a_browser_reads_them() {
    let downstream = headers(&[br#"db;dur=12.5;desc="say \"hi\"""#]);
    let timings = Timings::with_options(Options::new().no_total());
    timings.sync_scope(|| {
        record("app", Duration::from_millis(3));
        record_downstream("auth", &downstream);
    });
    let value = timings.finish().expect("metrics were recorded");
    assert_eq!(value, r#"app;dur=3, auth.db;dur=12.5;desc="say \"hi\"""#);
}

#[test]
fn several_fields_are_merged_in_order() {
    let downstream = headers(&[b"cdn;dur=1", b"edge;dur=2, shield;dur=3", b"origin;dur=4"]);
    let names: Vec<String> = merged(Options::new(), "up", &downstream)
        .into_iter()
        .map(|(name, ..)| name)
        .collect();
    assert_eq!(names, ["up.cdn", "up.edge", "up.shield", "up.origin"]);
}

#[test]
fn repeated_downstream_names_aggregate_like_any_recording() {
    let downstream = headers(&[b"db;dur=1;desc=first, db;dur=2;desc=second"]);
    assert_eq!(
        merged(Options::new(), "auth", &downstream),
        [entry("auth.db", 3_000, Some("first"))]
    );
}

#[test]
fn an_empty_prefix_keeps_the_names() {
    let downstream = headers(&[b"db;dur=1"]);
    assert_eq!(
        merged(Options::new(), "", &downstream),
        [entry("db", 1_000, None)]
    );
}

#[test]
fn outside_a_scope_nothing_is_recorded() {
    let timings = Timings::new();
    record_downstream("auth", &headers(&[b"db;dur=1"]));
    assert!(timings.metrics().is_empty());
}

#[test]
fn a_response_without_server_timing_records_nothing() {
    assert!(merged(Options::new(), "auth", &headers(&[])).is_empty());
}

#[test]
fn a_hostile_downstream_header_is_sanitized_and_bounded() {
    let long = "x".repeat(10_000);
    let hostile = format!(
        "{{weird}};dur=-5;desc=\"caf\u{e9}\\\" \\\\\" , huge;dur=1e400, long;desc=\"{long}\", {long};dur=1, \
         bad;dur=NaN;dur=2, ;;;, never"
    );
    // obs-text bytes are what a raw header may carry; browsers read them as ISO-8859-1.
    let hostile = hostile.replace('\u{e9}', "\u{ff}");
    let bytes: Vec<u8> = hostile
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    let downstream = headers(&[&bytes]);

    let timings = Timings::with_options(Options::new().no_total());
    timings.sync_scope(|| record_downstream("p re\"fix", &downstream));
    let metrics = timings.metrics();
    let names: Vec<&str> = metrics.iter().map(|m| m.name()).collect();
    let long_name = format!("p_re_fix.{}", "x".repeat(MAX_NAME_LEN - "p_re_fix.".len()));
    // Parsing stops at `;;;` where no name can be read, as in browsers: `never` is not read.
    assert_eq!(
        names,
        [
            "p_re_fix._weird_",
            "p_re_fix.huge",
            "p_re_fix.long",
            long_name.as_str(),
            "p_re_fix.bad"
        ]
    );
    assert_eq!(metrics[0].duration(), Some(Duration::ZERO));
    assert_eq!(metrics[0].description(), Some("caf?\" \\"));
    assert_eq!(metrics[1].duration(), Some(Duration::MAX));
    assert_eq!(metrics[2].description().map(str::len), Some(MAX_DESCRIPTION_LEN));
    assert_eq!(metrics[4].duration(), Some(Duration::ZERO));

    let value = timings.finish().expect("metrics were recorded");
    let text = value.to_str().expect("visible ASCII");
    let reread: Vec<String> = parse(text).into_iter().map(|m| m.name).collect();
    assert_eq!(reread, names);
}

#[test]
fn merging_is_bounded_by_max_metrics() {
    let many: Vec<String> = (0..5_000).map(|i| format!("m{i};dur=1")).collect();
    let downstream = headers(&[many.join(", ").as_bytes()]);
    let timings = Timings::with_options(Options::new().max_metrics(8));
    timings.sync_scope(|| record_downstream("auth", &downstream));
    let names: Vec<String> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    let first: Vec<String> = (0..8).map(|i| format!("auth.m{i}")).collect();
    assert_eq!(names, first);
    assert_eq!(timings.omitted(), 5_000 - 8);
}

/// The headers of a real HTTP response, as reqwest exposes them, merge like any `HeaderMap`.
#[tokio::test]
async fn a_reqwest_response_merges() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("an address");
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("a connection");
        let mut request = [0u8; 1024];
        let _ = socket.read(&mut request).await.expect("a request");
        socket
            .write_all(
                b"HTTP/1.1 200 OK\r\nserver-timing: db;dur=7.5;desc=\"Users DB\"\r\n\
                  server-timing: cache;desc=miss\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )
            .await
            .expect("a response");
    });
    let response = bounded(client().get(format!("http://{address}/")).send())
        .await
        .expect("a response");
    server.await.expect("the server ran");

    let timings = Timings::with_options(Options::new().no_total());
    timings.sync_scope(|| record_downstream("auth", response.headers()));
    assert_eq!(
        timings.finish().expect("metrics were recorded"),
        r#"auth.db;dur=7.5;desc="Users DB", auth.cache;desc=miss"#
    );
}
