//! Where a request meets the collector: framework middleware and the `http` helper, each
//! behind its own feature (but for `http`, which the core needs anyway).

#[cfg(feature = "actix-web")]
pub mod actix;
pub(crate) mod completed;
pub mod http;
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(feature = "tower")]
pub mod tower;
