//! What leaves a request besides its header: the `on_complete` hook under every adapter, and
//! `metrics::histograms()` into the `metrics` facade and a real Prometheus exporter.

mod histograms;
mod on_complete;
mod prometheus;
