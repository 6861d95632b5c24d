//! What the test crate's test binaries, benches and binaries share, each written once.

pub mod actix_server;
pub mod axum_server;
pub mod bench_args;
pub mod both_adapters;
pub mod clients;
pub mod entries;
pub mod hooks;
pub mod hyper_server;
pub mod memory;
pub mod names;
pub mod opentelemetry_span;
pub mod polling;
pub mod prometheus;
pub mod raw_http;
pub mod tools;
pub mod trace_ids;
pub mod wait;
