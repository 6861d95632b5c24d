//! tower-http's `TraceLayer` for axum, with a request span that continues the caller's trace.

use tower_http::trace::TraceLayer;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::Parent;
use super::propagation::incoming;

/// The request's span, its parent the caller's trace (the request's `traceparent`, read by
/// the global propagator): what `TraceLayer::make_span_with` gets in the recipe. The parent
/// is set before the span is first entered, as `tracing-opentelemetry` requires.
///
/// ```
/// use opentelemetry::trace::TraceContextExt;
/// use opentelemetry_sdk::trace::InMemorySpanExporter;
/// use server_timing_examples::services::{propagation, telemetry, trace_layer};
/// use tracing_opentelemetry::OpenTelemetrySpanExt;
///
/// propagation::install();
/// let provider = telemetry::provider("inventory", InMemorySpanExporter::default());
/// let request = http::Request::get("/stock/widget")
///     .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
///     .body(())
///     .unwrap();
/// tracing::subscriber::with_default(telemetry::subscriber(&provider, "inventory"), || {
///     let span = trace_layer::request_span(&request);
///     let context = span.context();
///     let trace = context.span().span_context().trace_id();
///     assert_eq!(trace.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// });
/// ```
pub fn request_span<B>(request: &http::Request<B>) -> tracing::Span {
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        uri = %request.uri(),
        version = ?request.version(),
    );
    // An error only where the span is disabled or has no OpenTelemetry layer: then there is
    // no trace to continue either.
    let _ = span.set_parent(incoming(request.headers()));
    span
}

/// `app` with tower-http's `TraceLayer` around it: its span made by [`request_span`] for
/// [`Parent::Extracted`] (the recipe), tower-http's default for [`Parent::Root`].
///
/// Around, so after the Server-Timing layer: `Router::layer` wraps what is there already, so
/// the layer added last is the outer one, and the `TraceLayer` must be outside
/// `ServerTimingLayer`. Then its span is entered when the Server-Timing layer starts the
/// request, and trace context names it.
///
/// ```
/// use axum::routing::get;
/// use opentelemetry_sdk::trace::InMemorySpanExporter;
/// use server_timing_examples::services::{propagation, telemetry, trace_layer, Parent};
/// use server_timing_runtime::tower::ServerTimingLayer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// propagation::install();
/// let provider = telemetry::provider("inventory", InMemorySpanExporter::default());
/// let _subscriber = tracing::subscriber::set_default(telemetry::subscriber(&provider, "inventory"));
///
/// let app = axum::Router::new()
///     .route("/", get(|| async { "ok" }))
///     .layer(ServerTimingLayer::new().trace_context(true));
/// let app = trace_layer::traced(app, Parent::Extracted);
///
/// let request = http::Request::get("/")
///     .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
///     .body(axum::body::Body::empty())
///     .unwrap();
/// let response = tower::ServiceExt::oneshot(app, request).await.unwrap();
/// // The response names the caller's trace, and the request span in it.
/// let value = response.headers()["server-timing"].to_str().unwrap();
/// assert!(value.starts_with(r#"traceparent;desc="00-4bf92f3577b34da6a3ce929d0e0e4736-"#), "{value}");
/// assert!(!value.contains("00f067aa0ba902b7"), "{value}");
/// # }
/// ```
pub fn traced(app: axum::Router, parent: Parent) -> axum::Router {
    match parent {
        Parent::Extracted => app.layer(TraceLayer::new_for_http().make_span_with(request_span)),
        Parent::Root => app.layer(TraceLayer::new_for_http()),
    }
}
