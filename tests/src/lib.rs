//! What the test crate's benches and binaries share.

pub mod bench_args;
pub mod opentelemetry_span;
