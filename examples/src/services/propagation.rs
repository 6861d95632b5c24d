//! The W3C propagator, and the few lines that let it read a request's headers: the part of
//! the recipe that makes a service continue its caller's trace.

use opentelemetry::propagation::Extractor;
use opentelemetry_sdk::propagation::TraceContextPropagator;

/// Make the W3C trace-context propagator (`traceparent`, `tracestate`) the global one, which
/// the request spans of [`inventory`](super::inventory), [`front`](super::front) and
/// [`actix_front`](super::actix_front) extract their parent through. Once at start-up; calling
/// it again changes nothing.
///
/// ```
/// use server_timing_examples::services::propagation::install;
///
/// let fields = || {
///     opentelemetry::global::get_text_map_propagator(|propagator| {
///         propagator.fields().map(str::to_owned).collect::<Vec<_>>()
///     })
/// };
/// install();
/// assert_eq!(fields(), ["traceparent", "tracestate"]);
/// install();
/// assert_eq!(fields(), ["traceparent", "tracestate"], "the same propagator");
/// ```
pub fn install() {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
}

/// The caller's trace context in `headers` (axum's, hyper's, reqwest's: `http` 1), read by
/// the global propagator; an empty context when the request carries none, so the span it
/// parents is a root.
///
/// ```
/// use opentelemetry::trace::TraceContextExt;
/// use server_timing_examples::services::propagation::{incoming, install};
///
/// install();
/// let mut headers = http::HeaderMap::new();
/// headers.insert(
///     "traceparent",
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap(),
/// );
/// let context = incoming(&headers);
/// let span = context.span();
/// assert_eq!(span.span_context().trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert!(span.span_context().is_remote());
/// ```
pub fn incoming(headers: &http::HeaderMap) -> opentelemetry::Context {
    opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(&Headers(headers)))
}

/// `http` 1 headers as the propagator reads them.
///
/// ```
/// use opentelemetry::propagation::Extractor;
/// use server_timing_examples::services::propagation::Headers;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
/// assert_eq!(Headers(&headers).keys(), ["traceparent"]);
/// ```
pub struct Headers<'a>(pub &'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// actix-web's headers (its own `HeaderMap`) as the propagator reads them.
///
/// ```
/// use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
/// use opentelemetry::propagation::Extractor;
/// use server_timing_examples::services::propagation::ActixHeaders;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(HeaderName::from_static("traceparent"), HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
/// assert_eq!(ActixHeaders(&headers).get("traceparent").unwrap().len(), 55);
/// ```
pub struct ActixHeaders<'a>(pub &'a actix_web::http::header::HeaderMap);

impl Extractor for ActixHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0
            .keys()
            .map(actix_web::http::header::HeaderName::as_str)
            .collect()
    }
}
