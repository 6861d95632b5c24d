//! The `sentry-trace` entry with the real Sentry SDK: axum behind sentry-tower's hub layer and
//! `SentryHttpLayer`, actix-web behind sentry-actix's middleware, each starting a transaction
//! for the request, with our middleware inside theirs. The entry names the very transaction the
//! SDK sends (as its envelope says), so that Sentry's browser SDK continues it in its pageload.
//!
//! Sentry's hub is per thread: the axum tests run their server and client on one
//! current-thread runtime inside `sentry::test::with_captured_envelopes_options`, whose hub
//! (with a test transport) is the one `NewSentryLayer` starts each request's hub from; the
//! actix-web tests hand the middleware a hub of their own. No test touches the process's main
//! hub, so they run alongside the binary's other tests.

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::Request;
use sentry::protocol::{Context, EnvelopeItem};
use sentry::test::TestTransport;
use sentry::{ClientOptions, Envelope, Hub};
use sentry_tower::{NewSentryLayer, SentryHttpLayer};
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{Options, ParsedMetric, TraceEntry, TraceParent, parse};
use server_timing_tests::axum_server::AxumServer;
use server_timing_tests::clients::client;
use server_timing_tests::entries::fields;
use server_timing_tests::trace_ids::hex;
use server_timing_tests::wait::bounded;

/// The trace entries the Sentry setup chooses.
const ENTRIES: [TraceEntry; 2] = [TraceEntry::Traceparent, TraceEntry::SentryTrace];

/// A `baggage` a browser or an upstream service might send.
const BAGGAGE: &str =
    "sentry-trace_id=0af7651916cd43dd8448eb211c80319c,sentry-environment=upstream,user=alice";

/// A `sentry-trace` an upstream Sentry SDK sends: sentry-rust continues it.
const UPSTREAM_SENTRY_TRACE: &str = "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1";

/// A Sentry span as (trace id, span id), lowercase hex.
type Ids = (String, String);

/// The Sentry span current where the handler runs, as the SDK says.
fn sentry_span_here() -> Option<Ids> {
    Hub::current()
        .configure_scope(|scope| scope.get_span())
        .map(|span| {
            let trace = span.get_trace_context();
            (trace.trace_id.to_string(), trace.span_id.to_string())
        })
}

/// What one exchange showed: the response's entries, what the handler saw of Sentry, and the
/// envelopes the SDK sent.
struct Exchange {
    entries: Vec<ParsedMetric>,
    raw: String,
    /// The Sentry span current in the handler.
    handler_span: Option<Ids>,
    envelopes: Vec<Envelope>,
}

impl Exchange {
    fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.name.as_str()).collect()
    }

    fn desc(&self, name: &str) -> Option<&str> {
        let mut found = self.entries.iter().filter(|e| e.name == name);
        let first = found.next()?;
        assert!(found.next().is_none(), "one {name} entry in {}", self.raw);
        Some(&first.description)
    }

    fn sentry_trace(&self) -> &str {
        self.desc("sentry-trace")
            .unwrap_or_else(|| panic!("a sentry-trace entry in {}", self.raw))
    }

    fn traceparent(&self) -> TraceParent {
        let desc = self
            .desc("traceparent")
            .unwrap_or_else(|| panic!("a traceparent entry in {}", self.raw));
        desc.parse().unwrap_or_else(|e| panic!("{e}: {desc}"))
    }

    /// The transactions the SDK sent, as the trace context of each: (trace id, span id,
    /// parent span id).
    fn transactions(&self) -> Vec<(String, String, Option<String>)> {
        self.envelopes
            .iter()
            .flat_map(|envelope| envelope.items())
            .filter_map(|item| match item {
                EnvelopeItem::Transaction(transaction) => match transaction.contexts.get("trace") {
                    Some(Context::Trace(trace)) => Some((
                        trace.trace_id.to_string(),
                        trace.span_id.to_string(),
                        trace.parent_span_id.map(|id| id.to_string()),
                    )),
                    other => panic!("a transaction without its trace context: {other:?}"),
                },
                _ => None,
            })
            .collect()
    }

    /// The one transaction the SDK sent.
    fn transaction(&self) -> (String, String, Option<String>) {
        let transactions = self.transactions();
        assert_eq!(transactions.len(), 1, "one transaction sent: {transactions:?}");
        transactions.into_iter().next().unwrap()
    }
}

/// Where the handler's observations go.
type Noted = Arc<Mutex<Option<Option<Ids>>>>;

fn take(noted: &Noted) -> Option<Ids> {
    noted.lock().unwrap().take().expect("the handler ran")
}

/// The request the tests send: `headers` on `path`.
async fn send(url: String, headers: &[(&str, &str)]) -> (Vec<ParsedMetric>, String) {
    let mut request = client().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = bounded(request.send()).await.expect("a response");
    assert!(response.status().is_success(), "{}", response.status());
    let raw = fields(response.headers()).join(", ");
    bounded(response.bytes()).await.expect("the body");
    (parse(&raw), raw)
}

// ---------------------------------------------------------------------------------------------
// axum with sentry-tower

/// How sentry-tower's layers and ours are stacked.
#[derive(Clone, Copy, Debug)]
enum Stack {
    /// Ours alone.
    NoSentry,
    /// Ours, then `SentryHttpLayer` with transactions, then the hub layer outermost, each its
    /// own `Router::layer`.
    Layers,
    /// The same three in one `tower::ServiceBuilder`: our layer's `call` then runs before
    /// `SentryHttpLayer`'s future has put its transaction on the scope.
    ServiceBuilder,
}

/// The app: `/` and `/cached` (`Cache-Control: public, max-age=60`), noting the Sentry span
/// current in the handler, behind the layers as `stack` says.
fn axum_app(timing: ServerTimingLayer, stack: Stack, noted: Noted) -> Router {
    let cached_noted = Arc::clone(&noted);
    let router = Router::new()
        .route(
            "/",
            get(move || async move {
                *noted.lock().unwrap() = Some(sentry_span_here());
                "ok"
            }),
        )
        .route(
            "/cached",
            get(move || async move {
                *cached_noted.lock().unwrap() = Some(sentry_span_here());
                ([("cache-control", "public, max-age=60")], "cached")
            }),
        );
    match stack {
        Stack::NoSentry => router.layer(timing),
        Stack::Layers => router
            .layer(timing)
            .layer(SentryHttpLayer::new().enable_transaction())
            .layer(NewSentryLayer::<Request<Body>>::new_from_top()),
        Stack::ServiceBuilder => router.layer(
            tower::ServiceBuilder::new()
                .layer(NewSentryLayer::<Request<Body>>::new_from_top())
                .layer(SentryHttpLayer::new().enable_transaction())
                .layer(timing),
        ),
    }
}

/// One request to the axum app on loopback, inside a hub whose client samples transactions at
/// `sample_rate` and captures what it sends.
fn axum_exchange(
    timing: ServerTimingLayer,
    stack: Stack,
    sample_rate: f32,
    path: &str,
    headers: &[(&str, &str)],
) -> Exchange {
    let noted = Noted::default();
    let mut seen = None;
    let envelopes = sentry::test::with_captured_envelopes_options(
        || {
            // One thread: the server's tasks run where this hub is current.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread runtime");
            seen = Some(runtime.block_on(async {
                let server = AxumServer::start(axum_app(timing, stack, Arc::clone(&noted))).await;
                let seen = send(server.url(path), headers).await;
                server.stop().await;
                seen
            }));
        },
        ClientOptions::new().traces_sample_rate(sample_rate),
    );
    let (entries, raw) = seen.expect("the exchange ran");
    Exchange {
        entries,
        raw,
        handler_span: take(&noted),
        envelopes,
    }
}

// ---------------------------------------------------------------------------------------------
// actix-web with sentry-actix

/// A hub of the test's own, whose client samples transactions at `sample_rate` and hands what
/// it sends to the returned transport.
fn test_hub(sample_rate: f32) -> (Arc<Hub>, Arc<TestTransport>) {
    let transport = TestTransport::new();
    let mut options = ClientOptions::new().traces_sample_rate(sample_rate);
    options.dsn = Some("http://public@127.0.0.1:9/1".parse().expect("a DSN"));
    options.transport = Some(Arc::new(Arc::clone(&transport)));
    let client = Arc::new(sentry::Client::from(options));
    let hub = Arc::new(Hub::new(Some(client), Arc::default()));
    (hub, transport)
}

/// One request to an actix-web server on loopback: `App::new().wrap(timing)`, then (when
/// `sentry`) sentry-actix's middleware with transactions outside it, on a hub of the test's
/// own.
fn actix_exchange(
    timing: ServerTiming,
    sentry: bool,
    sample_rate: f32,
    path: &str,
    headers: &[(&str, &str)],
) -> Exchange {
    let noted = Noted::default();
    let (hub, transport) = test_hub(sample_rate);
    let handler_noted = Arc::clone(&noted);
    let (entries, raw) = actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            let noted = Arc::clone(&handler_noted);
            let cached_noted = Arc::clone(&handler_noted);
            let middleware = sentry_actix::Sentry::builder()
                .with_hub(Arc::clone(&hub))
                .start_transaction(sentry)
                .finish();
            App::new()
                .wrap(timing.clone())
                .wrap(actix_web::middleware::Condition::new(sentry, middleware))
                .route(
                    "/",
                    web::get().to(move || {
                        let noted = Arc::clone(&noted);
                        async move {
                            *noted.lock().unwrap() = Some(sentry_span_here());
                            HttpResponse::Ok().body("ok")
                        }
                    }),
                )
                .route(
                    "/cached",
                    web::get().to(move || {
                        let noted = Arc::clone(&cached_noted);
                        async move {
                            *noted.lock().unwrap() = Some(sentry_span_here());
                            HttpResponse::Ok()
                                .insert_header(("cache-control", "public, max-age=60"))
                                .body("cached")
                        }
                    }),
                )
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .bind(("127.0.0.1", 0))
        .expect("bind 127.0.0.1:0");
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let seen = send(format!("http://{addr}{path}"), headers).await;
        handle.stop(false).await;
        seen
    });
    Exchange {
        entries,
        raw,
        handler_span: take(&noted),
        envelopes: transport.fetch_and_clear_envelopes(),
    }
}

// ---------------------------------------------------------------------------------------------
// The same behaviour through either framework

/// The framework of an exchange, with its Sentry integration stacked as given.
#[derive(Clone, Copy, Debug)]
enum Setup {
    Axum(Stack),
    /// actix-web, with sentry-actix's middleware (transactions on) outside ours when `true`.
    Actix(bool),
}

/// Each framework behind its Sentry integration, the recommended way.
const AXUM: Setup = Setup::Axum(Stack::Layers);
const ACTIX: Setup = Setup::Actix(true);

/// One request through `setup` with our middleware set to `options`.
fn exchange(
    setup: Setup,
    options: Options,
    sample_rate: f32,
    path: &str,
    headers: &[(&str, &str)],
) -> Exchange {
    match setup {
        Setup::Axum(stack) => {
            let timing = ServerTimingLayer::new().options(options);
            axum_exchange(timing, stack, sample_rate, path, headers)
        }
        Setup::Actix(sentry) => {
            let timing = ServerTiming::new().options(options);
            actix_exchange(timing, sentry, sample_rate, path, headers)
        }
    }
}

/// Trace context on, with the entries the Sentry setup chooses.
fn sentry_options() -> Options {
    Options::new().trace_context(true).trace_entries(ENTRIES)
}

fn the_entry_names_the_transaction_the_sdk_sent(setup: Setup) {
    let seen = exchange(setup, sentry_options(), 1.0, "/", &[]);
    let (trace_id, span_id, _) = seen.transaction();
    assert_eq!(
        seen.sentry_trace(),
        format!("{trace_id}-{span_id}-1"),
        "{setup:?}: the entry names the transaction in the SDK's envelope, sampled: {}",
        seen.raw
    );
    assert_eq!(
        seen.handler_span,
        Some((trace_id, span_id)),
        "{setup:?}: the handler ran in that transaction"
    );
    assert_eq!(seen.names(), ["traceparent", "sentry-trace", "total"]);
    assert!(
        seen.raw
            .contains(&format!("sentry-trace;desc=\"{}\"", seen.sentry_trace())),
        "{setup:?}: quoted: {}",
        seen.raw
    );
}

fn an_upstream_sentry_trace_is_continued(setup: Setup) {
    let headers = [
        ("sentry-trace", UPSTREAM_SENTRY_TRACE),
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ),
        ("tracestate", "congo=t61rcWkgMzE"),
    ];
    let seen = exchange(setup, sentry_options(), 1.0, "/", &headers);
    let (trace_id, span_id, parent) = seen.transaction();
    assert_eq!(trace_id, "0af7651916cd43dd8448eb211c80319c", "{setup:?}");
    assert_eq!(parent.as_deref(), Some("b7ad6b7169203331"), "{setup:?}");
    assert_eq!(
        seen.sentry_trace(),
        format!("{trace_id}-{span_id}-1"),
        "{setup:?}: {}",
        seen.raw
    );
    // The W3C entries go on naming the request's W3C trace, with this server's span.
    assert_eq!(
        hex(&seen.traceparent().trace_id()),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert_eq!(seen.desc("tracestate"), Some("congo=t61rcWkgMzE"));
    assert_eq!(
        seen.names(),
        ["traceparent", "tracestate", "sentry-trace", "total"]
    );
}

fn an_unsampled_transaction_is_named_with_0_and_not_sent(setup: Setup) {
    let seen = exchange(setup, sentry_options(), 0.0, "/", &[]);
    assert_eq!(
        seen.transactions(),
        [],
        "{setup:?}: an unsampled transaction is not sent"
    );
    let (trace_id, span_id) = seen.handler_span.clone().expect("a transaction on the scope");
    assert_eq!(
        seen.sentry_trace(),
        format!("{trace_id}-{span_id}-0"),
        "{setup:?}: {}",
        seen.raw
    );
}

fn by_default_only_traceparent_is_written(setup: Setup) {
    let seen = exchange(setup, Options::new().trace_context(true), 1.0, "/", &[]);
    assert_eq!(seen.names(), ["traceparent", "total"], "{setup:?}: {}", seen.raw);
    assert_eq!(
        seen.transactions().len(),
        1,
        "{setup:?}: the SDK still sent its transaction"
    );
}

fn a_cacheable_response_gets_no_trace_entry_unless_allowed(setup: Setup) {
    let seen = exchange(setup, sentry_options(), 1.0, "/cached", &[]);
    assert_eq!(seen.names(), ["total"], "{setup:?}: {}", seen.raw);
    assert_eq!(seen.transactions().len(), 1, "{setup:?}");

    let options = sentry_options().trace_context_on_cacheable(true);
    let seen = exchange(setup, options, 1.0, "/cached", &[]);
    let (trace_id, span_id, _) = seen.transaction();
    assert_eq!(
        seen.sentry_trace(),
        format!("{trace_id}-{span_id}-1"),
        "{setup:?}: {}",
        seen.raw
    );
    assert_eq!(seen.names(), ["traceparent", "sentry-trace", "total"]);
}

/// `setup` has no Sentry integration: the entry is made of the `traceparent` ids.
fn without_a_sentry_span_the_entry_carries_the_traceparent_ids(setup: Setup) {
    // A fresh trace, and an incoming one sampled and not.
    for (incoming, flag) in [
        (None, "1"),
        (
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "1",
        ),
        (
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"),
            "0",
        ),
    ] {
        let headers: Vec<_> = incoming.iter().map(|value| ("traceparent", *value)).collect();
        let seen = exchange(setup, sentry_options(), 1.0, "/", &headers);
        assert_eq!(seen.handler_span, None, "{setup:?}: no Sentry span");
        assert_eq!(seen.transactions(), [], "{setup:?}");
        let parent = seen.traceparent();
        if incoming.is_some() {
            assert_eq!(hex(&parent.trace_id()), "4bf92f3577b34da6a3ce929d0e0e4736");
        }
        assert_eq!(
            seen.sentry_trace(),
            format!("{}-{}-{flag}", hex(&parent.trace_id()), hex(&parent.parent_id())),
            "{setup:?}, {incoming:?}: {}",
            seen.raw
        );
        assert_eq!(seen.names(), ["traceparent", "sentry-trace", "total"]);
    }
}

fn a_requests_baggage_is_never_echoed(setup: Setup) {
    let headers = [("baggage", BAGGAGE), ("sentry-trace", UPSTREAM_SENTRY_TRACE)];
    let seen = exchange(setup, sentry_options(), 1.0, "/", &headers);
    assert_eq!(seen.desc("baggage"), None, "{setup:?}: {}", seen.raw);
    for part in ["alice", "upstream", "sentry-environment"] {
        assert!(!seen.raw.contains(part), "{setup:?}: {}", seen.raw);
    }
    assert_eq!(seen.names(), ["traceparent", "sentry-trace", "total"]);
}

#[test]
fn axum_the_sentry_trace_entry_names_the_transaction_sentry_tower_sent() {
    the_entry_names_the_transaction_the_sdk_sent(AXUM);
}

#[test]
fn actix_the_sentry_trace_entry_names_the_transaction_sentry_actix_sent() {
    the_entry_names_the_transaction_the_sdk_sent(ACTIX);
}

#[test]
fn axum_the_entry_names_the_transaction_when_the_layers_are_one_service_builder() {
    // Read when the response head is made, inside sentry-tower's future.
    the_entry_names_the_transaction_the_sdk_sent(Setup::Axum(Stack::ServiceBuilder));
}

#[test]
fn axum_an_upstream_sentry_trace_is_continued_by_the_transaction_the_entry_names() {
    an_upstream_sentry_trace_is_continued(AXUM);
}

#[test]
fn actix_an_upstream_sentry_trace_is_continued_by_the_transaction_the_entry_names() {
    an_upstream_sentry_trace_is_continued(ACTIX);
}

#[test]
fn axum_an_unsampled_transaction_is_named_with_0_and_not_sent() {
    an_unsampled_transaction_is_named_with_0_and_not_sent(AXUM);
}

#[test]
fn actix_an_unsampled_transaction_is_named_with_0_and_not_sent() {
    an_unsampled_transaction_is_named_with_0_and_not_sent(ACTIX);
}

#[test]
fn axum_by_default_only_traceparent_is_written() {
    by_default_only_traceparent_is_written(AXUM);
}

#[test]
fn actix_by_default_only_traceparent_is_written() {
    by_default_only_traceparent_is_written(ACTIX);
}

#[test]
fn axum_a_cacheable_response_gets_no_trace_entry_unless_allowed() {
    a_cacheable_response_gets_no_trace_entry_unless_allowed(AXUM);
}

#[test]
fn actix_a_cacheable_response_gets_no_trace_entry_unless_allowed() {
    a_cacheable_response_gets_no_trace_entry_unless_allowed(ACTIX);
}

#[test]
fn axum_without_a_sentry_span_the_entry_carries_the_traceparent_ids() {
    without_a_sentry_span_the_entry_carries_the_traceparent_ids(Setup::Axum(Stack::NoSentry));
}

#[test]
fn actix_without_a_sentry_span_the_entry_carries_the_traceparent_ids() {
    without_a_sentry_span_the_entry_carries_the_traceparent_ids(Setup::Actix(false));
}

#[test]
fn axum_a_requests_baggage_is_never_echoed() {
    for stack in [Stack::Layers, Stack::ServiceBuilder, Stack::NoSentry] {
        a_requests_baggage_is_never_echoed(Setup::Axum(stack));
    }
}

#[test]
fn actix_a_requests_baggage_is_never_echoed() {
    for sentry in [true, false] {
        a_requests_baggage_is_never_echoed(Setup::Actix(sentry));
    }
}
