//! Outgoing calls carry the request's trace: with trace context on, `reqwest::Downstream` and
//! tower's `DownstreamLayer` send a `traceparent` of the request's trace and flags with a
//! parent id of each call's own (the id of the call as W3C Trace Context has it), and the
//! request's `tracestate`, to a real server on loopback that reports what it received; with
//! it off they send none, and a call that sets its own keeps it.

use http::{HeaderMap, HeaderValue};
use http_body_util::BodyExt;
use reqwest_middleware::ClientBuilder;
use server_timing_runtime::reqwest::Downstream;
use server_timing_runtime::{Options, Timings, TraceParent};
use server_timing_tests::clients::client;
use server_timing_tests::wait::bounded;
use tokio::task::JoinHandle;

/// Connections one reporter answers: each test makes at most a few calls.
const CONNECTIONS: usize = 16;
const INCOMING: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A server on 127.0.0.1:0 that answers each of its connections with the request's
/// `traceparent` and `tracestate` header values, one per line (`-` for a missing one).
async fn reporter() -> (String, JoinHandle<()>) {
    server_timing_tests::raw_http::serve(CONNECTIONS, |head| {
        let head = String::from_utf8_lossy(head);
        let field = |name: &str| {
            head.lines()
                .find_map(|line| {
                    let (field, value) = line.split_once(':')?;
                    field.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
                })
                .unwrap_or_else(|| "-".to_owned())
        };
        let body = format!("{}\n{}", field("traceparent"), field("tracestate"));
        format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    })
    .await
}

fn traced(with_state: bool) -> Timings {
    let mut request = HeaderMap::new();
    request.insert("traceparent", HeaderValue::from_static(INCOMING));
    if with_state {
        request.insert("tracestate", HeaderValue::from_static("congo=t61rcWkgMzE"));
    }
    Timings::for_request(Options::new().trace_context(true), &request)
}

/// Checks that `received` (what the reporter answered) is a call of the request whose trace
/// context is `parent`, with `state`: the same trace and flags, a parent id of its own.
/// Returns that parent id.
fn assert_call_of(received: &str, parent: TraceParent, state: &str) -> [u8; 8] {
    let (traceparent, tracestate) = received.split_once('\n').expect("two lines");
    let call: TraceParent = traceparent.parse().expect("a valid traceparent");
    assert_eq!(call.trace_id(), parent.trace_id(), "{received}");
    assert_eq!(call.flags(), parent.flags(), "{received}");
    assert_ne!(
        call.parent_id(),
        parent.parent_id(),
        "the call's own id: {received}"
    );
    assert_eq!(tracestate, state);
    call.parent_id()
}

async fn via_reqwest(timings: &Timings, url: &str, own: Option<&'static str>) -> String {
    let client = ClientBuilder::new(client())
        .with(Downstream::new("inventory"))
        .build();
    let mut call = client.get(url);
    if let Some(own) = own {
        call = call.header("traceparent", own);
    }
    let response = bounded(timings.scope(call.send())).await.unwrap();
    response.text().await.unwrap()
}

#[tokio::test]
async fn reqwest_calls_carry_the_requests_trace() {
    let (url, server) = reporter().await;
    let timings = traced(true);
    let parent = timings.trace_parent().expect("trace context is on");
    let first = assert_call_of(
        &via_reqwest(&timings, &url, None).await,
        parent,
        "congo=t61rcWkgMzE",
    );
    let second = assert_call_of(
        &via_reqwest(&timings, &url, None).await,
        parent,
        "congo=t61rcWkgMzE",
    );
    assert_ne!(first, second, "each call has a parent id of its own");
    let incoming: TraceParent = INCOMING.parse().unwrap();
    assert_eq!(parent.trace_id(), incoming.trace_id());
    assert_ne!(parent.parent_id(), incoming.parent_id());
    assert_ne!(first, incoming.parent_id());
    let value = timings.finish().unwrap();
    assert!(
        value
            .to_str()
            .unwrap()
            .starts_with(&format!("traceparent;desc=\"{parent}\""))
    );
    server.abort();
}

#[tokio::test]
async fn without_trace_context_or_a_tracestate_nothing_else_is_sent() {
    let (url, server) = reporter().await;
    let off = Timings::new();
    assert_eq!(via_reqwest(&off, &url, None).await, "-\n-");
    let no_state = traced(false);
    let parent = no_state.trace_parent().unwrap();
    assert_call_of(&via_reqwest(&no_state, &url, None).await, parent, "-");
    server.abort();
}

#[tokio::test]
async fn a_call_that_sets_its_own_traceparent_keeps_it() {
    let (url, server) = reporter().await;
    let own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    let received = via_reqwest(&traced(false), &url, Some(own)).await;
    assert_eq!(received, format!("{own}\n-"));
    server.abort();
}

#[tokio::test]
async fn the_tower_layer_carries_the_requests_trace() {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    use server_timing_runtime::tower::DownstreamLayer;
    use tower::{Layer, ServiceExt};

    let (url, server) = reporter().await;
    let client = DownstreamLayer::new("inventory").layer(Client::builder(TokioExecutor::new()).build_http());
    let timings = traced(true);
    let parent = timings.trace_parent().unwrap();
    let request = http::Request::get(&url)
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = bounded(timings.scope(client.oneshot(request))).await.unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_call_of(&String::from_utf8_lossy(&body), parent, "congo=t61rcWkgMzE");
    server.abort();
}

/// Two services over loopback: a front behind the tower layer (trace context on, both trace
/// entries) whose handler calls the second, a reporter, twice through `reqwest::Downstream`.
#[tokio::test]
async fn a_services_calls_each_carry_a_parent_id_of_their_own() {
    use axum::routing::get;
    use server_timing_runtime::TraceEntry;
    use server_timing_runtime::tower::ServerTimingLayer;

    let (reporter_url, reporter) = reporter().await;
    let calls = ClientBuilder::new(client())
        .with(Downstream::new("inventory"))
        .build();
    let front = axum::Router::new()
        .route(
            "/",
            get(move || async move {
                let mut received = Vec::new();
                for _ in 0..2 {
                    let response = calls.get(&reporter_url).send().await.expect("the call");
                    received.push(response.text().await.expect("its body"));
                }
                received.join("\n")
            }),
        )
        .layer(
            ServerTimingLayer::new()
                .trace_context(true)
                .trace_entries([TraceEntry::Traceparent, TraceEntry::Trace]),
        );
    let front = server_timing_tests::axum_server::AxumServer::start(front).await;
    let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03";
    let response = bounded(
        client()
            .get(front.url("/"))
            .header("traceparent", incoming)
            .send(),
    )
    .await
    .unwrap();
    let entries = server_timing_tests::entries::fields(response.headers()).join(", ");
    let body = response.text().await.unwrap();
    front.stop().await;
    reporter.abort();

    // The front's own span, as its `trace` entry names it with the incoming flags kept.
    let entries = server_timing_runtime::parse(&entries);
    let trace = entries.iter().find(|e| e.name == "trace").expect("a trace entry");
    let front_span: TraceParent = trace.description.parse().unwrap();
    assert_eq!(front_span.flags(), 0x03, "sampled and random carried on");
    let traceparent = entries
        .iter()
        .find(|e| e.name == "traceparent")
        .expect("a traceparent entry");
    assert!(
        traceparent.description.ends_with("-01"),
        "the sampled flag alone: {traceparent:?}"
    );

    let lines: Vec<&str> = body.lines().collect();
    let first = assert_call_of(&format!("{}\n{}", lines[0], lines[1]), front_span, "-");
    let second = assert_call_of(&format!("{}\n{}", lines[2], lines[3]), front_span, "-");
    assert_ne!(first, second, "each call its own parent id");
    let incoming: TraceParent = incoming.parse().unwrap();
    assert_eq!(front_span.trace_id(), incoming.trace_id());
    assert!(![first, second].contains(&incoming.parent_id()));
}
