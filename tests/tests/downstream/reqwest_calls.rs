//! `reqwest::Downstream` against real local servers over loopback: the call is recorded under
//! the middleware's name and the response's `Server-Timing` merged as `name.*`, whatever the
//! downstream sends; connection refused, a timeout and a call given up are recorded as such,
//! and errors come back unchanged. The same through tower's `DownstreamLayer` on hyper-util's
//! client.

use std::time::Duration;

use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use server_timing_runtime::reqwest::Downstream;
use server_timing_runtime::{
    DEFAULT_HEADER_BUDGET, DEFAULT_MAX_METRICS, MAX_DESCRIPTION_LEN, MAX_NAME_LEN, OMITTED_NAME, Options,
    Timings, parse,
};
use server_timing_tests::names::names;
use server_timing_tests::wait::bounded;
use tokio::task::JoinHandle;

/// No test here waits longer than this for anything.
/// A downstream on 127.0.0.1:0 that answers each of up to `connections` connections with
/// `response` (raw bytes: a status line, headers, body) once it has read the request head.
/// Abort the handle to stop it.
async fn canned(response: Vec<u8>, connections: usize) -> (String, JoinHandle<()>) {
    server_timing_tests::raw_http::serve(connections, move |_| response.clone()).await
}

/// A response with these extra header lines (each `name: value`, raw bytes) and a body.
fn response(status: &str, headers: &[&[u8]], body: &str) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    )
    .into_bytes();
    for header in headers {
        out.extend_from_slice(header);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body.as_bytes());
    out
}

fn client_with(downstream: Downstream, timeout: Option<Duration>) -> ClientWithMiddleware {
    let mut builder = reqwest::Client::builder().no_proxy();
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    ClientBuilder::new(builder.build().unwrap())
        .with(downstream)
        .build()
}

fn inventory() -> ClientWithMiddleware {
    client_with(
        Downstream::new("inventory").description("Inventory service"),
        None,
    )
}

fn collector() -> Timings {
    Timings::with_options(Options::new().no_total())
}

#[tokio::test]
async fn a_call_is_recorded_and_its_metrics_merged_under_the_name() {
    let (url, server) = canned(
        response(
            "200 OK",
            &[
                br#"server-timing: db;dur=12.5;desc="Stock DB", cache;desc=hit"#,
                b"server-timing: search;dur=0.25",
            ],
            "42",
        ),
        1,
    )
    .await;
    let timings = collector();
    let client = inventory();
    let response = bounded(timings.scope(client.get(&url).send())).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.unwrap(),
        "42",
        "the body is the caller's, untouched"
    );

    let metrics = timings.metrics();
    assert_eq!(
        names(&metrics),
        ["inventory", "inventory.db", "inventory.cache", "inventory.search"]
    );
    let call = &metrics[0];
    assert_eq!(call.description(), Some("Inventory service"));
    assert!(call.duration().is_some_and(|d| d > Duration::ZERO));
    assert_eq!(call.count(), 1);
    assert_eq!(metrics[1].duration(), Some(Duration::from_micros(12_500)));
    assert_eq!(metrics[1].description(), Some("Stock DB"));
    assert_eq!(metrics[2].description(), Some("hit"));
    assert_eq!(metrics[3].duration(), Some(Duration::from_micros(250)));
    server.abort();
}

#[tokio::test]
async fn a_downstream_without_server_timing_is_the_call_alone() {
    let (url, server) = canned(response("200 OK", &[], "42"), 1).await;
    let timings = collector();
    let response = bounded(timings.scope(inventory().get(&url).send()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let metrics = timings.metrics();
    assert_eq!(names(&metrics), ["inventory"]);
    assert!(metrics[0].duration().is_some());
    server.abort();
}

#[tokio::test]
async fn an_error_status_is_a_completed_call_with_its_metrics() {
    let (url, server) = canned(
        response("500 Internal Server Error", &[b"server-timing: db;dur=3"], ""),
        1,
    )
    .await;
    let timings = collector();
    let response = bounded(timings.scope(inventory().get(&url).send()))
        .await
        .unwrap();
    assert_eq!(response.status(), 500, "the response is returned as it came");
    let metrics = timings.metrics();
    assert_eq!(names(&metrics), ["inventory", "inventory.db"]);
    assert_eq!(metrics[0].description(), Some("Inventory service"));
    server.abort();
}

#[tokio::test]
async fn repeated_calls_aggregate_like_any_metric() {
    let (url, server) = canned(response("200 OK", &[b"server-timing: db;dur=1"], ""), 3).await;
    let timings = collector();
    let client = inventory();
    timings
        .scope(async {
            for _ in 0..3 {
                bounded(client.get(&url).send()).await.unwrap();
            }
        })
        .await;
    let metrics = timings.metrics();
    assert_eq!(names(&metrics), ["inventory", "inventory.db"]);
    assert_eq!(metrics[0].count(), 3);
    assert_eq!(metrics[1].count(), 3);
    assert_eq!(metrics[1].duration(), Some(Duration::from_millis(3)));
    server.abort();
}

#[tokio::test]
async fn a_hostile_downstream_header_is_sanitized_and_bounded() {
    // Everything hyper lets through on the wire: non-tokens, quotes and backslashes, Latin-1
    // bytes, absurd durations, oversized names and descriptions, thousands of entries.
    let long_name = "n".repeat(MAX_NAME_LEN * 4);
    let long_description = "d".repeat(MAX_DESCRIPTION_LEN * 4);
    let mut flood = b"server-timing: ".to_vec();
    for i in 0..5_000 {
        flood.extend_from_slice(format!("m{i};dur=1, ").as_bytes());
    }
    let oversized = format!(r#"server-timing: {long_name};dur=1;desc="{long_description}""#);
    let headers: Vec<&[u8]> = vec![
        br#"server-timing: db;dur=-5;desc="quote \" and \\ backslash", bad name;dur=1"#,
        b"server-timing: latin;dur=1;desc=caf\xe9 \xff",
        b"server-timing: nan;dur=NaN, inf;dur=1e400, big;dur=99999999999999999999999",
        oversized.as_bytes(),
        &flood,
        // Garbage where names should be.
        b"server-timing: ;;;,,, =;dur=1, after;dur=2",
    ];
    let (url, server) = canned(response("200 OK", &headers, ""), 1).await;
    let timings = Timings::new();
    let response = bounded(timings.scope(inventory().get(&url).send()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let metrics = timings.metrics();
    assert!(
        metrics.len() <= DEFAULT_MAX_METRICS,
        "{} metrics kept from a downstream's thousands",
        metrics.len()
    );
    assert_eq!(metrics[0].name(), "inventory", "the call itself is kept first");
    for metric in &metrics {
        assert!(
            metric.name() == "inventory" || metric.name().starts_with("inventory."),
            "{} is under the prefix",
            metric.name()
        );
        assert!(metric.name().len() <= MAX_NAME_LEN, "{}", metric.name());
        assert!(metric.description().map_or(0, str::len) <= MAX_DESCRIPTION_LEN);
    }
    let db = metrics.iter().find(|m| m.name() == "inventory.db").unwrap();
    assert_eq!(db.duration(), Some(Duration::ZERO), "a negative duration is 0");
    assert_eq!(db.description(), Some(r#"quote " and \ backslash"#));

    // What goes out is one valid field within the budget: entries that were kept, in order,
    // and the count of those left out.
    let value = timings.finish().unwrap();
    let text = value.to_str().expect("visible ASCII only");
    assert!(text.len() <= DEFAULT_HEADER_BUDGET, "{} bytes", text.len());
    let read_back = parse(text);
    let (omitted, shown): (Vec<_>, Vec<_>) = read_back.iter().partition(|m| m.name == OMITTED_NAME);
    assert_eq!(omitted.len(), 1, "the left-out entries are reported: {text}");
    assert_eq!(shown[0].name, "total");
    let mut kept = names(&metrics).into_iter();
    for metric in &shown[1..] {
        assert!(
            kept.any(|name| name == metric.name),
            "{} was not kept, or is out of order: {text}",
            metric.name
        );
    }
    server.abort();
}

#[tokio::test]
async fn connection_refused_is_recorded_and_returned_unchanged() {
    // A port that was just free: nothing listens there.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{addr}/stock");
    let timings = collector();
    let error = bounded(timings.scope(inventory().get(&url).send()))
        .await
        .unwrap_err();
    match &error {
        reqwest_middleware::Error::Reqwest(e) => assert!(e.is_connect(), "{e:?}"),
        other => panic!("not reqwest's own error: {other:?}"),
    }
    let metrics = timings.metrics();
    assert_eq!(names(&metrics), ["inventory"]);
    assert_eq!(
        metrics[0].description(),
        Some("Inventory service (connect error)")
    );
    assert!(metrics[0].duration().is_some());

    // Without a description the failure is the description.
    let timings = collector();
    let bare = client_with(Downstream::new("inventory"), None);
    bounded(timings.scope(bare.get(&url).send())).await.unwrap_err();
    assert_eq!(timings.metrics()[0].description(), Some("connect error"));
}

/// A downstream that accepts connections and never answers. Abort the handle to stop it.
async fn silent() -> (String, JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/stock", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let mut open = Vec::new();
        for _ in 0..4 {
            match listener.accept().await {
                Ok((socket, _)) => open.push(socket),
                Err(_) => return,
            }
        }
        std::future::pending::<()>().await;
    });
    (url, server)
}

#[tokio::test]
async fn a_timeout_is_recorded_as_one_and_returned_unchanged() {
    let (url, server) = silent().await;
    let timeout = Duration::from_millis(200);
    let client = client_with(
        Downstream::new("inventory").description("Inventory service"),
        Some(timeout),
    );
    let timings = collector();
    let error = bounded(timings.scope(client.get(&url).send())).await.unwrap_err();
    match &error {
        reqwest_middleware::Error::Reqwest(e) => assert!(e.is_timeout(), "{e:?}"),
        other => panic!("not reqwest's own error: {other:?}"),
    }
    let metrics = timings.metrics();
    assert_eq!(names(&metrics), ["inventory"]);
    assert_eq!(metrics[0].description(), Some("Inventory service (timeout)"));
    // The call lasted until the client gave up on it.
    assert!(metrics[0].duration().is_some_and(|d| d >= timeout));
    server.abort();
}

#[tokio::test]
async fn a_call_given_up_by_its_caller_is_marked_cancelled() {
    let (url, server) = silent().await;
    let timings = collector();
    let client = inventory();
    let gave_up = timings
        .scope(tokio::time::timeout(
            Duration::from_millis(100),
            client.get(&url).send(),
        ))
        .await;
    assert!(gave_up.is_err(), "the downstream never answers");
    let metrics = timings.metrics();
    assert_eq!(names(&metrics), ["inventory"]);
    assert_eq!(metrics[0].count(), 1);
    let header = timings.finish().unwrap();
    let written = parse(header.to_str().unwrap());
    assert!(
        written[0].description.contains("cancelled"),
        "marked in the header: {written:?}"
    );
    server.abort();
}

#[tokio::test]
async fn outside_a_scope_the_call_passes_through() {
    let (url, server) = canned(response("200 OK", &[b"server-timing: db;dur=1"], "42"), 1).await;
    let response = bounded(inventory().get(&url).send()).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["server-timing"],
        "db;dur=1",
        "the response is the downstream's"
    );
    assert_eq!(response.text().await.unwrap(), "42");
    server.abort();
}

#[tokio::test]
async fn a_name_that_is_not_a_token_is_sanitized() {
    let (url, server) = canned(response("200 OK", &[b"server-timing: db;dur=1"], ""), 1).await;
    let timings = collector();
    let client = client_with(Downstream::new("my service"), None);
    bounded(timings.scope(client.get(&url).send())).await.unwrap();
    assert_eq!(names(&timings), ["my_service", "my_service.db"]);
    server.abort();
}

/// hyper-util's client with the tower layer on top, as a tower user would build it.
fn hyper_client() -> impl tower::Service<
    http::Request<http_body_util::Empty<bytes::Bytes>>,
    Response = http::Response<hyper::body::Incoming>,
    Error = hyper_util::client::legacy::Error,
> + Clone {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    use server_timing_runtime::tower::DownstreamLayer;
    use tower::Layer;
    let client = Client::builder(TokioExecutor::new()).build_http();
    DownstreamLayer::new("inventory")
        .description("Inventory service")
        .layer(client)
}

fn get(url: &str) -> http::Request<http_body_util::Empty<bytes::Bytes>> {
    http::Request::get(url)
        .body(http_body_util::Empty::new())
        .unwrap()
}

#[tokio::test]
async fn the_tower_layer_on_hyper_util_records_and_merges() {
    use tower::ServiceExt;
    let (url, server) = canned(
        response(
            "200 OK",
            &[br#"server-timing: db;dur=12.5;desc="Stock DB""#],
            "42",
        ),
        1,
    )
    .await;
    let timings = collector();
    let response = bounded(timings.scope(hyper_client().oneshot(get(&url))))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let metrics = timings.metrics();
    assert_eq!(names(&metrics), ["inventory", "inventory.db"]);
    assert_eq!(metrics[0].description(), Some("Inventory service"));
    assert!(metrics[0].duration().is_some_and(|d| d > Duration::ZERO));
    assert_eq!(metrics[1].duration(), Some(Duration::from_micros(12_500)));
    server.abort();
}

#[tokio::test]
async fn the_tower_layer_records_a_refused_connection_and_returns_the_error() {
    use tower::ServiceExt;
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let timings = collector();
    let error = bounded(timings.scope(hyper_client().oneshot(get(&format!("http://{addr}/")))))
        .await
        .unwrap_err();
    assert!(error.is_connect(), "hyper-util's own error: {error:?}");
    let metrics = timings.metrics();
    assert_eq!(names(&metrics), ["inventory"]);
    assert_eq!(metrics[0].description(), Some("Inventory service (error)"));
}

#[tokio::test]
async fn the_tower_layer_marks_a_call_given_up_as_cancelled() {
    use tower::ServiceExt;
    let (url, server) = silent().await;
    let timings = collector();
    let gave_up = timings
        .scope(tokio::time::timeout(
            Duration::from_millis(100),
            hyper_client().oneshot(get(&url)),
        ))
        .await;
    assert!(gave_up.is_err(), "the downstream never answers");
    let header = timings.finish().unwrap();
    let written = parse(header.to_str().unwrap());
    assert_eq!(written[0].name, "inventory");
    assert!(written[0].description.contains("cancelled"), "{written:?}");
    server.abort();
}
