//! What leaves a request besides its header: the `on_complete` hook under every adapter,
//! `metrics::histograms()` into the `metrics` facade and a real Prometheus exporter, and
//! `tracing` spans made into metrics by `tracing::layer()`.

mod histograms;
mod on_complete;
mod prometheus;
mod tracing_layer;
