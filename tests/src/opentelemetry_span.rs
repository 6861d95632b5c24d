//! Work inside an entered span of a real `tracing-opentelemetry` layer, as in a service that
//! traces with OpenTelemetry: where trace context takes its ids from the span rather than from
//! the request's headers. For the `trace_context` bench and `opentelemetry_cost`.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
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
