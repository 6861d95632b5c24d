//! `server_timing_runtime::tracing::layer()` in a real `tracing-subscriber` registry: spans that
//! opt in, `all_spans` and `busy_time` under a per-layer filter, several instances in one
//! subscriber, and sqlx's statement events inside real requests.

mod all_spans;
mod instances;
mod spans;
mod sqlx_events;
mod subscriber;
