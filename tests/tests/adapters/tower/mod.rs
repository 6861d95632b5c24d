//! The tower layer end to end (axum, bare hyper), the `http` adapter for stacks without
//! middleware, and the `Server-Timing` trailer of streamed bodies.

mod http_adapter;
mod layer;
mod trailers;
