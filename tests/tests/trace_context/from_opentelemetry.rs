//! Trace context from OpenTelemetry (feature `opentelemetry`): with a real `tracing-subscriber`
//! registry, `tracing-opentelemetry` layer and OpenTelemetry SDK exporting spans to memory, the
//! ids in the response's `traceparent` entry are those of the server span that the SDK
//! exports, the trace continuing the caller's `traceparent` through the W3C propagator.

use std::sync::OnceLock;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use http::{HeaderMap, Request};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer,
    TracerProvider as _,
};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{Options, Timings, TraceParent, parse};
use server_timing_tests::axum_server::AxumServer;
use server_timing_tests::clients::client;
use server_timing_tests::trace_ids::hex;
use server_timing_tests::wait::{DEADLINE, bounded};
use tower::Service;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

const INCOMING: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// One SDK for the whole test binary (the subscriber is process-wide): spans it ends land in
/// the exporter.
fn exporter() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let tracer = provider.tracer("trace-context-test");
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer));
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        // Kept for `Context::current()` spans made without `tracing`.
        opentelemetry::global::set_tracer_provider(provider);
        exporter
    })
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// What a tracing middleware (tower-http's `TraceLayer`, say) does: a span per request, its
/// parent the caller's trace, entered while the inner service is called and polled.
#[derive(Clone)]
struct Traced<S>(S);

impl<S, B> Service<Request<B>> for Traced<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = tracing::instrument::Instrumented<S::Future>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let span = tracing::info_span!("request", path = %request.uri().path());
        let parent = TraceContextPropagator::new().extract(&Headers(request.headers()));
        let _ = span.set_parent(parent);
        let future = span.in_scope(|| self.0.call(request));
        future.instrument(span)
    }
}

#[derive(Clone)]
struct TracedLayer;

impl<S> tower::Layer<S> for TracedLayer {
    type Service = Traced<S>;

    fn layer(&self, inner: S) -> Traced<S> {
        Traced(inner)
    }
}

/// The span id the handler's current `tracing` span has in OpenTelemetry.
fn handler_span() -> String {
    tracing::Span::current()
        .context()
        .span()
        .span_context()
        .span_id()
        .to_string()
}

#[tokio::test]
async fn the_header_names_the_server_span_that_opentelemetry_exports() {
    let exporter = exporter();
    // The tracing middleware outside the Server-Timing layer: its span is current when the
    // request starts.
    let app = Router::new()
        .route("/", get(|| async { handler_span() }))
        .layer(ServerTimingLayer::new().trace_context(true))
        .layer(TracedLayer);
    let server = AxumServer::start(app).await;

    let client = client();
    let response = bounded(client.get(server.url("/")).header("traceparent", INCOMING).send())
        .await
        .unwrap();
    let raw = response.headers()["server-timing"].to_str().unwrap().to_owned();
    let handler_span = response.text().await.unwrap();
    server.stop().await;

    let entries = parse(&raw);
    let entry = entries.iter().find(|e| e.name == "traceparent").expect(&raw);
    let parent: TraceParent = entry.description.parse().unwrap();
    assert_eq!(
        hex(&parent.trace_id()),
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "the caller's trace"
    );
    assert_eq!(hex(&parent.parent_id()), handler_span, "the server's own span");
    assert!(parent.sampled());

    // The span the SDK exports (once it ends, after the response) is the one named.
    let started = Instant::now();
    let exported = loop {
        let spans = exporter.get_finished_spans().unwrap();
        if let Some(span) = spans
            .into_iter()
            .find(|s| s.span_context.span_id().to_string() == handler_span)
        {
            break span;
        }
        assert!(started.elapsed() < DEADLINE, "the request span was exported");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(exported.name, "request");
    assert_eq!(exported.span_context.trace_id().to_bytes(), parent.trace_id());
    assert_eq!(exported.span_context.span_id().to_bytes(), parent.parent_id());
    assert_eq!(exported.parent_span_id.to_string(), "00f067aa0ba902b7");
}

#[test]
fn an_active_opentelemetry_context_wins_over_the_request_header_and_brings_its_tracestate() {
    let _ = exporter();
    let remote = SpanContext::new(
        TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
        SpanId::from_hex("b7ad6b7169203331").unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::from_key_value([("vendor", "opaque")]).unwrap(),
    );
    let tracer = opentelemetry::global::tracer("context-current");
    let parent_cx = opentelemetry::Context::new().with_remote_span_context(remote);
    let span = tracer.start_with_context("work", &parent_cx);
    let span_id = span.span_context().span_id();
    let _attached = parent_cx.with_span(span).attach();

    let mut request = HeaderMap::new();
    request.insert("traceparent", INCOMING.parse().unwrap());
    request.insert("tracestate", "congo=t61rcWkgMzE".parse().unwrap());
    let timings = Timings::for_request(Options::new().trace_context(true), &request);
    let parent = timings.trace_parent().unwrap();
    assert_eq!(hex(&parent.trace_id()), "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(parent.parent_id(), span_id.to_bytes());
    assert_eq!(timings.trace_state(), Some("vendor=opaque"));
    let value = timings.finish().unwrap();
    assert!(
        value
            .to_str()
            .unwrap()
            .contains(r#"tracestate;desc="vendor=opaque""#),
        "{value:?}"
    );
}

#[test]
fn without_a_valid_span_the_request_header_is_used() {
    let _ = exporter();
    // No `tracing` span entered and no OpenTelemetry context attached on this thread.
    let mut request = HeaderMap::new();
    request.insert("traceparent", INCOMING.parse().unwrap());
    let timings = Timings::for_request(Options::new().trace_context(true), &request);
    let parent = timings.trace_parent().unwrap();
    assert_eq!(hex(&parent.trace_id()), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_ne!(hex(&parent.parent_id()), "00f067aa0ba902b7");
}

#[test]
fn with_context_activation_off_the_ids_are_the_entered_tracing_spans() {
    // A layer that does not make an entered span's context `Context::current()`: the ids come
    // from the current `tracing` span through the subscriber instead.
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("no-activation"))
        .with_context_activation(false);
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("request");
        let _entered = span.enter();
        assert!(
            !opentelemetry::Context::current().has_active_span(),
            "the layer activated no context"
        );
        let mut request = HeaderMap::new();
        request.insert("traceparent", INCOMING.parse().unwrap());
        let timings = Timings::for_request(Options::new().trace_context(true), &request);
        let parent = timings.trace_parent().unwrap();
        let context = span.context();
        let expected = context.span().span_context().clone();
        assert!(expected.is_valid());
        assert_eq!(parent.trace_id(), expected.trace_id().to_bytes());
        assert_eq!(parent.parent_id(), expected.span_id().to_bytes());
        assert_ne!(hex(&parent.trace_id()), "4bf92f3577b34da6a3ce929d0e0e4736");
    });
}

#[test]
fn with_context_activation_off_an_attached_context_wins_over_the_entered_tracing_span() {
    // The order `Options::trace_context` documents: `Context::current()` first, so an
    // OpenTelemetry context attached outside a `tracing` span that the layer does not
    // activate names the trace, not that span.
    let provider = SdkTracerProvider::builder().build();
    let layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("no-activation"))
        .with_context_activation(false);
    let subscriber = tracing_subscriber::registry().with(layer);
    let outer = provider.tracer("outer").start("outer");
    let outer_span = outer.span_context().clone();
    let _attached = opentelemetry::Context::current_with_span(outer).attach();
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("request");
        let _entered = span.enter();
        let inner = span.context().span().span_context().clone();
        assert!(inner.is_valid() && inner.span_id() != outer_span.span_id());
        let timings = Timings::for_request(Options::new().trace_context(true), &HeaderMap::new());
        let parent = timings.trace_parent().unwrap();
        assert_eq!(parent.trace_id(), outer_span.trace_id().to_bytes());
        assert_eq!(parent.parent_id(), outer_span.span_id().to_bytes());
    });
}
