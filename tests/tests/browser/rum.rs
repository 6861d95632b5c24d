//! A real RUM SDK, Grafana Faro's, in headless Chromium joins the page's navigation and a
//! fetch to the trace the server named in `Server-Timing` for each of those very requests.
//!
//! The page is served by an axum app behind `ServerTimingLayer::trace_context(true)`; the SDK
//! and its tracing package come from npm (`tests/rum/`), bundled here with esbuild from
//! `node_modules`, and nothing is fetched but from the loopback server. The test reads what
//! Faro itself sends to the app's `/collect`. Skipped with a loud message when Chromium or
//! `tests/rum/node_modules` (see `scripts/rum-setup.sh`) is missing; a failure instead when
//! `SERVER_TIMING_REQUIRE_CHROMIUM=1`.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::{get, post};
use serde_json::Value;
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{Timings, TraceEntry, TraceParent};
use server_timing_tests::axum_server::AxumServer;

use crate::support::chromium::{Chromium, TempDir};
use crate::support::sdk_bundle::bundle;

/// The test's name, as its skip banner gives it.
const TEST: &str = "faro_links_the_navigation_and_a_fetch_to_the_servers_trace";

/// What the server saw: the trace each request's header named, the `traceparent` the
/// browser sent with it, and every payload Faro posted.
#[derive(Clone, Default)]
struct Seen {
    requests: Arc<Mutex<Vec<Request>>>,
    collected: Arc<Mutex<Vec<String>>>,
}

#[derive(Clone, Debug)]
struct Request {
    path: &'static str,
    trace: TraceParent,
    incoming: Option<String>,
}

impl Seen {
    /// What the server's header said for the request of `path`, and what came with it.
    fn note(&self, path: &'static str, headers: &HeaderMap) -> TraceParent {
        let trace = Timings::current()
            .and_then(|t| t.trace_parent())
            .expect("trace context is on");
        let incoming = headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        lock(&self.requests).push(Request {
            path,
            trace,
            incoming,
        });
        trace
    }

    fn request(&self, path: &str) -> Request {
        let requests = lock(&self.requests);
        let found: Vec<_> = requests.iter().filter(|r| r.path == path).collect();
        assert_eq!(found.len(), 1, "one request for {path}: {requests:?}");
        found[0].clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn app(seen: Seen, script: String, layer: ServerTimingLayer) -> Router {
    let script = Arc::new(script);
    Router::new()
        .route(
            "/",
            get(|State(seen): State<Seen>, headers: HeaderMap| async move {
                let trace = seen.note("/", &headers);
                // The same value for OpenTelemetry JS's document-load instrumentation, which
                // reads a meta tag instead of Server-Timing.
                Html(format!(
                    "<!doctype html><html><head><meta charset=\"utf-8\">{}\
                     <title>RUM</title><script src=\"/rum.js\"></script></head>\
                     <body><p id=\"fetched\">pending</p></body></html>",
                    trace.meta_tag()
                ))
            }),
        )
        .route(
            "/api",
            get(|State(seen): State<Seen>, headers: HeaderMap| async move {
                seen.note("/api", &headers);
                "api-ok"
            }),
        )
        .route(
            "/collect",
            post(|State(seen): State<Seen>, body: String| async move {
                lock(&seen.collected).push(body);
                axum::http::StatusCode::ACCEPTED
            }),
        )
        .route(
            "/rum.js",
            get(move || {
                let script = Arc::clone(&script);
                async move { ([("content-type", "text/javascript")], script.as_str().to_owned()) }
            }),
        )
        .layer(layer)
        .with_state(seen)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every event in Faro's payloads.
fn events(collected: &[String]) -> Vec<Value> {
    collected
        .iter()
        .map(|body| serde_json::from_str::<Value>(body).unwrap_or_else(|e| panic!("{e}: {body}")))
        .flat_map(|payload| payload["events"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// The `trace` Faro attached to its event, as (trace id, span id).
fn trace_of(event: &Value) -> (String, String) {
    let text = |key: &str| event["trace"][key].as_str().unwrap_or_default().to_owned();
    (text("trace_id"), text("span_id"))
}

#[test]
fn faro_links_the_navigation_and_a_fetch_to_the_servers_trace() {
    faro_links(ServerTimingLayer::new().trace_context(true));
}

#[test]
fn faro_links_them_beside_the_level_2_trace_entry() {
    faro_links(
        ServerTimingLayer::new()
            .trace_context(true)
            .trace_entries([TraceEntry::Traceparent, TraceEntry::Trace]),
    );
}

/// The page and its fetch served behind `layer`, in Chromium with Faro: Faro's events name
/// the server's trace and span.
fn faro_links(layer: ServerTimingLayer) {
    let Some(chromium) = Chromium::find(TEST) else {
        return;
    };
    let out = TempDir::new("rum-bundle");
    let Some(script) = bundle(TEST, "rum", "Grafana Faro", out.path()) else {
        return;
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let seen = Seen::default();
    let server = runtime.block_on(AxumServer::start(app(seen.clone(), script, layer)));

    let dom = chromium.dump_dom(&server.url("/"));

    runtime.block_on(server.stop());

    assert!(
        dom.contains(r#"<p id="fetched">api-ok</p>"#),
        "the page fetched /api: {dom}"
    );
    let page = seen.request("/");
    assert!(dom.contains(&page.trace.meta_tag()), "the meta tag: {dom}");
    let api = seen.request("/api");
    let collected = lock(&seen.collected).clone();
    let events = events(&collected);
    let named = |name: &str| -> Vec<&Value> { events.iter().filter(|e| e["name"] == name).collect() };

    let navigation = named("faro.performance.navigation");
    assert_eq!(navigation.len(), 1, "one navigation event in {collected:?}");
    assert_eq!(
        trace_of(navigation[0]),
        (hex(&page.trace.trace_id()), hex(&page.trace.parent_id())),
        "Faro's navigation event names the server's trace and span for the page"
    );

    let resources = named("faro.performance.resource");
    let fetched: Vec<_> = resources
        .iter()
        .filter(|e| {
            e["attributes"]["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("/api"))
        })
        .collect();
    assert_eq!(fetched.len(), 1, "one resource event for /api in {resources:?}");
    assert_eq!(
        trace_of(fetched[0]),
        (hex(&api.trace.trace_id()), hex(&api.trace.parent_id())),
        "Faro's resource event names the server's trace and span for the fetch"
    );

    // Faro's fetch instrumentation sent its own `traceparent`: the server continued that
    // trace with a span of its own, and Faro exported its fetch span in the same trace.
    let incoming: TraceParent = api
        .incoming
        .as_deref()
        .expect("Faro propagates traceparent to its own origin")
        .parse()
        .expect("a valid traceparent from Faro");
    assert_eq!(incoming.trace_id(), api.trace.trace_id());
    assert_ne!(incoming.parent_id(), api.trace.parent_id());
    assert!(
        collected
            .iter()
            .any(|body| body.contains(&hex(&incoming.trace_id()))),
        "Faro exported its fetch span's trace"
    );
}
