//! The client side: outgoing calls timed into the request that makes them, their responses'
//! metrics merged, and the request's trace context carried along.

#[cfg(any(feature = "reqwest", feature = "tower"))]
pub(crate) mod call;
pub(crate) mod merge;
#[cfg(feature = "reqwest")]
pub mod reqwest;
#[cfg(feature = "tower")]
pub(crate) mod tower;
