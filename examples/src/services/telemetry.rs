//! Each service's OpenTelemetry tracer and `tracing` subscriber: the registry, the
//! `tracing-opentelemetry` layer (so every `tracing` span is an OpenTelemetry span too) and
//! the toolkit's layer (so spans with a `server_timing` field are metrics of the request).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use tracing::Subscriber;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;

/// A tracer provider for `service` that hands every span to `exporter` as it ends (a simple
/// processor: nothing is batched, so a span is exported by the time its request is done).
/// A deployment passes an OTLP exporter, and usually batches.
///
/// ```
/// use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
/// use opentelemetry_sdk::trace::InMemorySpanExporter;
///
/// let exporter = InMemorySpanExporter::default();
/// let provider = server_timing_examples::services::telemetry::provider("inventory", exporter.clone());
/// let mut span = provider.tracer("inventory").start("work");
/// assert!(exporter.get_finished_spans().unwrap().is_empty());
/// span.end();
/// // Exported as it ended, with no flush.
/// let spans = exporter.get_finished_spans().unwrap();
/// assert_eq!(spans.len(), 1);
/// assert_eq!(spans[0].name, "work");
/// ```
pub fn provider(service: &'static str, exporter: impl SpanExporter + 'static) -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_resource(Resource::builder().with_service_name(service).build())
        .with_simple_exporter(exporter)
        .build()
}

/// The service's subscriber: registry, `tracing_opentelemetry::layer()` with `provider`'s
/// tracer, and `server_timing_runtime::tracing::layer()`. A service installs it once as the
/// global default (`.init()`); this example runs two services in one process, so each gets
/// its own as the default of its own threads (see [`running`](super::running)). Layers of
/// your own (a log formatter, say) go on top with `.with(...)`.
///
/// ```
/// use opentelemetry_sdk::trace::InMemorySpanExporter;
/// use server_timing_examples::services::telemetry::{provider, subscriber};
///
/// use server_timing_runtime::Timings;
///
/// let exporter = InMemorySpanExporter::default();
/// let provider = provider("inventory", exporter.clone());
/// let timings = Timings::new();
/// tracing::subscriber::with_default(subscriber(&provider, "inventory"), || {
///     timings.sync_scope(|| {
///         tracing::info_span!("load", server_timing = "db").in_scope(|| {});
///         tracing::info_span!("work").in_scope(|| {});
///     });
/// });
/// // Every span is an OpenTelemetry span ...
/// let spans: Vec<_> = exporter.get_finished_spans().unwrap().into_iter().map(|span| span.name).collect();
/// assert_eq!(spans, ["load", "work"]);
/// // ... and the one with a `server_timing` field a metric of the request.
/// let metrics: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
/// assert_eq!(metrics, ["db"]);
/// ```
pub fn subscriber(
    provider: &SdkTracerProvider,
    service: &'static str,
) -> impl Subscriber + for<'a> LookupSpan<'a> + Send + Sync + 'static + use<> {
    tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer(service)))
        .with(server_timing_runtime::tracing::layer())
}
