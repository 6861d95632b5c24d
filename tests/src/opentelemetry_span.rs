//! Work inside an entered span of a real `tracing-opentelemetry` layer, as in a service that
//! traces with OpenTelemetry: where trace context takes its ids from the span rather than from
//! the request's headers. For the `trace_context` bench and `opentelemetry_cost`.

use http::HeaderMap;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use server_timing_runtime::{Options, Timings};
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt;

/// A `tracing` dispatcher with the `tracing-opentelemetry` layer (its defaults, so context
/// activation on) on the registry, its tracer from the OpenTelemetry SDK, sampling every span
/// and exporting none.
///
/// ```
/// let dispatch = server_timing_tests::opentelemetry_span::dispatch();
/// tracing::dispatcher::with_default(&dispatch, || tracing::info!("seen by the layer"));
/// ```
pub fn dispatch() -> Dispatch {
    let tracer = SdkTracerProvider::builder().build().tracer("server-timing-tests");
    Dispatch::new(tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer)))
}

/// Runs `work` with `dispatch` as the default, inside a span made for it and entered, as a
/// tracing middleware runs a request's handler.
///
/// ```
/// use opentelemetry::trace::TraceContextExt;
/// use server_timing_tests::opentelemetry_span::{dispatch, in_span};
///
/// let has_span = in_span(&dispatch(), || opentelemetry::Context::current().has_active_span());
/// assert!(has_span);
/// ```
pub fn in_span<T>(dispatch: &Dispatch, work: impl FnOnce() -> T) -> T {
    tracing::dispatcher::with_default(dispatch, || {
        let span = tracing::info_span!("request");
        let _entered = span.enter();
        work()
    })
}

/// Panics unless a request with these headers, made here with trace context on, names the
/// current span: its trace and its span id, whatever trace the headers carry. Run inside
/// [`in_span`] before measuring, so that a measurement of ids from OpenTelemetry cannot
/// silently time the headers' path instead.
///
/// ```
/// use server_timing_examples::trace_request::headers;
/// use server_timing_tests::opentelemetry_span::{assert_ids_from_span, dispatch, in_span};
///
/// in_span(&dispatch(), || assert_ids_from_span(&headers(true, true)));
/// ```
pub fn assert_ids_from_span(request: &HeaderMap) {
    let timings = Timings::for_request(Options::new().trace_context(true), request);
    let named = timings.trace_parent().expect("trace context is on");
    let context = opentelemetry::Context::current();
    let span = context.span();
    let span = span.span_context();
    assert!(span.is_valid(), "a span of the OpenTelemetry layer is entered");
    assert_eq!(named.trace_id(), span.trace_id().to_bytes(), "the span's trace");
    assert_eq!(named.parent_id(), span.span_id().to_bytes(), "the span itself");
}
