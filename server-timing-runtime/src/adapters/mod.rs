//! Where a request meets the collector: framework middleware, the `http` helper and the
//! outgoing-call middleware, each behind its own feature (but for `http`, which the core
//! needs anyway).

#[cfg(feature = "actix-web")]
pub mod actix;
pub(crate) mod completed;
pub mod http;
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(any(feature = "reqwest", feature = "tower"))]
mod outgoing;
#[cfg(feature = "reqwest")]
pub mod reqwest;
#[cfg(feature = "tower")]
pub mod tower;
pub(crate) mod trace_context;
#[cfg(feature = "tracing")]
pub mod tracing;
