//! What the test crate's benches and binaries share.

pub mod opentelemetry_span;
