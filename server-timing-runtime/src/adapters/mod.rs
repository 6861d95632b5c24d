//! Where a request meets the collector: framework middleware and the `http` helper, each
//! behind its own feature (but for `http`, which the core needs anyway).

#[cfg(feature = "actix-web")]
pub mod actix;
pub mod http;
#[cfg(feature = "tower")]
pub mod tower;
pub(crate) mod trace_context;
