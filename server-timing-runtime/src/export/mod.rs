//! What leaves the request besides its header: what the `on_complete` hook is handed
//! ([`Completed`](crate::Completed)), `tracing` spans made metrics, and every request's metrics as
//! histograms for the fleet's monitoring.

pub(crate) mod completed;
pub(crate) mod hook;
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(feature = "tracing")]
pub mod tracing;
