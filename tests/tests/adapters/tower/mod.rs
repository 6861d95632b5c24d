//! The tower layer end to end (axum, bare hyper), the `http` helper for stacks without
//! middleware, and the `Server-Timing` trailer of streamed bodies.

mod http_helper;
mod layer;
mod trailers;
