//! What the demo tells beyond the header: `tracing` spans become metrics (and log lines), and
//! every request's metrics go to Prometheus at `/metrics`, also those of requests whose
//! header is not sent.
//!
//! Both are process-wide (one tracing subscriber, one `metrics` recorder), so they are
//! installed once, by the first [`Demo::open`](super::Demo::open) of the process.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Buckets of `server_timing_duration_seconds`, in seconds: from a cache hit to a slow page.
///
/// ```
/// assert!(server_timing_examples::demo::telemetry::BUCKETS.windows(2).all(|w| w[0] < w[1]));
/// ```
pub const BUCKETS: [f64; 8] = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5];

/// Install the demo's tracing subscriber and Prometheus recorder, once per process; returns
/// what renders `/metrics`.
///
/// The subscriber is the real registry with two layers: the toolkit's, which makes the demo's
/// `render` span and every `sqlx::query` event (the driver's own statement time) metrics of the
/// request they belong to, and `fmt` for log lines at `INFO`. Where the process already has a
/// subscriber or recorder (a test's, say), that one is kept.
///
/// ```
/// let handle = server_timing_examples::demo::telemetry::init();
/// assert!(std::ptr::eq(handle, server_timing_examples::demo::telemetry::init()));
/// ```
pub fn init() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let _ = tracing_subscriber::registry()
            .with(server_timing_runtime::tracing::layer().event("sqlx::query", "sqlx"))
            .with(tracing_subscriber::fmt::layer().with_filter(LevelFilter::INFO))
            .try_init();
        let builder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("the buckets are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // A recorder installed before ours keeps the facade; ours then only renders nothing.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}
