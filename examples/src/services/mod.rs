//! Trace joining across two services: a "front" that calls an "inventory" service, both
//! traced with OpenTelemetry (through `tracing`) and both writing trace context into their
//! `Server-Timing`, so that the browser's RUM data, the front's trace and the inventory's
//! spans are one trace.
//!
//! What makes them one: each service's request span takes the caller's `traceparent` as its
//! parent ([`propagation`], [`trace_layer`], [`actix_front::request_span`]). A tracing
//! middleware that does not (tower-http's `TraceLayer` as it comes, say) starts a new root
//! per request, and each service's `traceparent` entry then names a trace of its own.
//!
//! ```sh
//! cargo run -p server-timing-examples --bin two_services
//! ```
//!
//! The pieces, each a function the program (`src/bin/two_services.rs`) and the tests call:
//! - [`propagation`]: the global W3C propagator, and the extractors that read headers for it;
//! - [`telemetry`]: a service's tracer provider and `tracing` subscriber;
//! - [`trace_layer`]: tower-http's `TraceLayer` with a request span that continues the caller's trace;
//! - [`inventory`] and [`front`]: the two axum services;
//! - [`actix_front`]: the front again, as an actix-web service;
//! - [`running`]: each service on threads of its own, under its own subscriber.

pub mod actix_front;
pub mod front;
pub mod inventory;
pub mod propagation;
pub mod running;
pub mod telemetry;
pub mod trace_layer;

/// Where a service's request span gets its parent.
///
/// ```
/// use server_timing_examples::services::Parent;
/// assert_ne!(Parent::Extracted, Parent::Root);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parent {
    /// From the request's `traceparent`, through the global propagator: the recipe. The
    /// request continues its caller's trace.
    Extracted,
    /// Nowhere: a new OpenTelemetry root for every request, as tower-http's default
    /// `TraceLayer` span is. What the recipe fixes: the service's trace joins no other.
    Root,
}
