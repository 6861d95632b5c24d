//! Sentry's browser SDK in headless Chromium continues the backend's Sentry transaction in its
//! pageload, reading the `sentry-trace` entry of the navigation's `Server-Timing`: the pageload
//! the SDK sends is in the backend transaction's trace, with the backend transaction as its
//! parent. Both ways the SDK sends it: as a streamed segment span (its default) and as a
//! transaction (`traceLifecycle: "static"`).
//!
//! The page is served by an axum app behind sentry-tower's hub layer and `SentryHttpLayer`
//! (with transactions) and, inside them, `ServerTimingLayer::trace_context(true)` with
//! `TraceEntry::SentryTrace` chosen; its Sentry client (sample rate 1.0) keeps what it sends
//! in memory. The page has no `sentry-trace` meta tag. `@sentry/browser` comes from npm
//! (`tests/sentry/`), bundled here with esbuild from `node_modules`, and sends to a collector
//! this test runs on loopback (its DSN); nothing is fetched but from the two loopback servers.
//! Skipped with a loud message when Chromium or `tests/sentry/node_modules` (see
//! `scripts/rum-setup.sh`) is missing; a failure instead when `SERVER_TIMING_REQUIRE_CHROMIUM=1`.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::response::Html;
use axum::routing::{get, post};
use sentry::ClientOptions;
use sentry::protocol::{Context, EnvelopeItem};
use sentry_tower::{NewSentryLayer, SentryHttpLayer};
use serde_json::Value;
use server_timing_runtime::TraceEntry;
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_tests::axum_server::AxumServer;

use crate::support::chromium::{Chromium, TempDir};
use crate::support::sdk_bundle::bundle;

/// The tests' names, as their skip banners give them.
const STREAMED: &str = "sentry_streamed_pageload_span_continues_the_backends_transaction";
const STATIC: &str = "sentry_pageload_transaction_continues_the_backends_transaction";

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A Sentry ingest endpoint for the browser SDK: keeps every envelope posted to
/// `/api/1/envelope/`, and lets the page's origin read the answer.
fn collector(envelopes: Arc<Mutex<Vec<Bytes>>>) -> Router {
    let cors = [
        ("access-control-allow-origin", "*"),
        ("access-control-allow-headers", "*"),
        ("access-control-allow-methods", "POST"),
    ];
    Router::new()
        .route(
            "/api/1/envelope/",
            post(
                move |State(envelopes): State<Arc<Mutex<Vec<Bytes>>>>, body: Bytes| async move {
                    lock(&envelopes).push(body);
                    (cors, "{}")
                },
            )
            .options(move || async move { (StatusCode::NO_CONTENT, cors) }),
        )
        .with_state(envelopes)
}

/// The app: the page (which loads the SDK with `dsn` and the `traceLifecycle` `lifecycle`
/// names, and shows the navigation's `Server-Timing` entries as the browser read them) and the
/// SDK bundle, behind our layer and, outside it, sentry-tower's.
fn app(script: String, dsn: String, lifecycle: Option<&'static str>) -> Router {
    let lifecycle = lifecycle
        .map(|value| format!(" data-trace-lifecycle=\"{value}\""))
        .unwrap_or_default();
    let script = Arc::new(script);
    Router::new()
        .route(
            "/",
            get(move || async move {
                Html(format!(
                    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sentry</title>\
                     <script src=\"/sentry.js\" data-dsn=\"{dsn}\"{lifecycle}></script></head>\
                     <body><p id=\"server-timing\"></p><script>\
                     document.getElementById('server-timing').textContent = \
                     performance.getEntriesByType('navigation')[0].serverTiming\
                     .map((e) => `${{e.name}}=${{e.description}}`).join(' ');\
                     </script></body></html>"
                ))
            }),
        )
        .route(
            "/sentry.js",
            get(move || {
                let script = Arc::clone(&script);
                async move { ([("content-type", "text/javascript")], script.as_str().to_owned()) }
            }),
        )
        .layer(
            ServerTimingLayer::new()
                .trace_context(true)
                .trace_entries([TraceEntry::Traceparent, TraceEntry::SentryTrace]),
        )
        .layer(SentryHttpLayer::new().enable_transaction())
        .layer(NewSentryLayer::<Request<Body>>::new_from_top())
}

/// The items of a Sentry envelope as its wire format has them: a header line, then per item a
/// header line and a payload (`length` bytes where the item header gives it, else one line).
fn envelope_items(envelope: &[u8]) -> Vec<(Value, Value)> {
    let text = std::str::from_utf8(envelope).expect("a UTF-8 envelope");
    let (_header, mut rest) = text.split_once('\n').unwrap_or((text, ""));
    let mut items = Vec::new();
    while !rest.trim().is_empty() {
        let (item_header, after) = rest.split_once('\n').expect("an item header line");
        let item_header: Value =
            serde_json::from_str(item_header).unwrap_or_else(|e| panic!("{e}: {item_header}"));
        let (payload, after) = match item_header["length"].as_u64() {
            Some(length) => {
                let (payload, after) = after.split_at(length as usize);
                (payload, after.strip_prefix('\n').unwrap_or(after))
            }
            None => after.split_once('\n').unwrap_or((after, "")),
        };
        let payload = serde_json::from_str(payload).unwrap_or(Value::Null);
        items.push((item_header, payload));
        rest = after;
    }
    items
}

/// What one page load showed: the backend transaction for the page, as (trace id, span id);
/// the page's DOM; the envelopes the browser SDK posted.
struct Loaded {
    backend: (String, String),
    dom: String,
    posted: Vec<Bytes>,
}

impl Loaded {
    /// `pageloads`, the trace contexts of the pageloads the browser SDK sent, are one, in the
    /// backend transaction's trace, its child.
    fn assert_one_pageload_in_the_backends_trace(&self, pageloads: &[Value]) {
        assert_eq!(
            pageloads.len(),
            1,
            "one pageload sent by the browser SDK; DOM: {}; envelopes: {:?}",
            self.dom,
            self.bodies()
        );
        let pageload = &pageloads[0];
        let (trace_id, span_id) = &self.backend;
        assert_eq!(
            pageload["trace_id"], **trace_id,
            "the pageload is in the backend transaction's trace: {pageload}"
        );
        assert_eq!(
            pageload["parent_span_id"], **span_id,
            "the pageload's parent is the backend transaction: {pageload}"
        );
        assert_ne!(pageload["span_id"], **span_id, "{pageload}");
    }

    /// The envelopes, as text for failure messages.
    fn bodies(&self) -> Vec<String> {
        self.posted
            .iter()
            .map(|body| String::from_utf8_lossy(body).into_owned())
            .collect()
    }

    /// Every envelope item the browser SDK posted, as (item header, payload).
    fn items(&self) -> Vec<(Value, Value)> {
        self.posted
            .iter()
            .flat_map(|envelope| envelope_items(envelope))
            .collect()
    }
}

/// Load the page in Chromium with the SDK set to `lifecycle`; `None` when `test` skips.
fn load(test: &str, lifecycle: Option<&'static str>) -> Option<Loaded> {
    let chromium = Chromium::find(test)?;
    let out = TempDir::new("sentry-bundle");
    let script = bundle(test, "sentry", "@sentry/browser", out.path())?;

    let posted = Arc::new(Mutex::new(Vec::new()));
    let mut dom = String::new();
    let backend = sentry::test::with_captured_envelopes_options(
        || {
            // One thread for the servers: sentry-tower's hub layer starts each request's hub
            // from this one, current on this thread only. The browser runs on another.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread runtime");
            dom = runtime.block_on(async {
                let collector = AxumServer::start(collector(Arc::clone(&posted))).await;
                let dsn = format!("http://public@{}/1", collector.addr);
                let server = AxumServer::start(app(script, dsn, lifecycle)).await;
                let url = server.url("/");
                let dom = tokio::task::spawn_blocking(move || chromium.dump_dom(&url))
                    .await
                    .expect("Chromium ran");
                server.stop().await;
                collector.stop().await;
                dom
            });
        },
        ClientOptions::new().traces_sample_rate(1.0),
    );

    // The backend's transaction for the page, as the Rust SDK sent it.
    let pages: Vec<_> = backend
        .iter()
        .flat_map(|envelope| envelope.items())
        .filter_map(|item| match item {
            EnvelopeItem::Transaction(transaction) if transaction.name.as_deref() == Some("GET /") => {
                match transaction.contexts.get("trace") {
                    Some(Context::Trace(trace)) => {
                        Some((trace.trace_id.to_string(), trace.span_id.to_string()))
                    }
                    _ => None,
                }
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        pages.len(),
        1,
        "one backend transaction for the page: {backend:?}"
    );
    let (trace_id, span_id) = pages[0].clone();
    assert!(
        dom.contains(&format!("sentry-trace={trace_id}-{span_id}-1")),
        "the browser read the backend transaction's sentry-trace in Server-Timing: {dom}"
    );
    assert!(
        !dom.contains("name=\"sentry-trace\""),
        "no meta tag: the SDK reads Server-Timing"
    );
    let posted = lock(&posted).clone();
    Some(Loaded {
        backend: (trace_id, span_id),
        dom,
        posted,
    })
}

#[test]
fn sentry_streamed_pageload_span_continues_the_backends_transaction() {
    let Some(loaded) = load(STREAMED, None) else {
        return;
    };
    // Span items (`application/vnd.sentry.items.span.v2+json`): the pageload is the segment.
    let pageloads: Vec<Value> = loaded
        .items()
        .into_iter()
        .filter(|(header, _)| header["type"] == "span")
        .flat_map(|(_, payload)| payload["items"].as_array().cloned().unwrap_or_default())
        .filter(|span| span["is_segment"] == true && span["attributes"]["sentry.op"]["value"] == "pageload")
        .collect();
    loaded.assert_one_pageload_in_the_backends_trace(&pageloads);
}

#[test]
fn sentry_pageload_transaction_continues_the_backends_transaction() {
    let Some(loaded) = load(STATIC, Some("static")) else {
        return;
    };
    // A transaction item: the pageload's trace context.
    let pageloads: Vec<Value> = loaded
        .items()
        .into_iter()
        .filter(|(header, payload)| {
            header["type"] == "transaction" && payload["contexts"]["trace"]["op"] == "pageload"
        })
        .map(|(_, payload)| payload["contexts"]["trace"].clone())
        .collect();
    loaded.assert_one_pageload_in_the_backends_trace(&pageloads);
}
