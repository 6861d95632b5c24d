//! The server side: middleware that gives each request a collector and its response the
//! `Server-Timing` field, each adapter polling its request on one path whatever its options.

#[cfg(feature = "actix-web")]
pub mod actix;
pub(crate) mod exchange;
pub mod http;
#[cfg(feature = "tower")]
pub(crate) mod tower;
