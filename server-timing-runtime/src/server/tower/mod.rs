//! The tower layer for axum, hyper and any other stack of `http` services: a collector per
//! request, current while the inner service is called and while its response (and, where it
//! matters, its body) is polled, and the `Server-Timing` field appended to the response.

mod body;
mod future;
mod layer;
mod service;

pub use body::ServerTimingBody;
pub use future::ResponseFuture;
pub use layer::ServerTimingLayer;
pub use service::ServerTimingService;
