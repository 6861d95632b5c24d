//! Per-request [`Server-Timing`](https://www.w3.org/TR/server-timing/) for Rust web services:
//! time any fn with `#[server_timing]`, see the breakdown in the browser's DevTools.
//!
//! ```
//! use server_timing_runtime::{server_timing, Timings};
//!
//! #[server_timing("db", desc = "DB read")]
//! async fn load_user(id: u64) -> Result<String, std::io::Error> {
//!     Ok(format!("user {id}"))
//! }
//!
//! # futures::executor::block_on(async {
//! // Middleware (`actix::ServerTiming`, `tower::ServerTimingLayer`) does this per request:
//! let timings = Timings::new();
//! let user = timings.scope(load_user(7)).await.unwrap();
//! let header = timings.finish().unwrap();
//! // e.g. `total;dur=0.012, db;dur=0.004;desc="DB read"`
//! assert!(header.to_str().unwrap().contains(r#"db;dur="#));
//! # let _ = user;
//! # });
//! ```
//!
//! - [`Timings`] is the per-request collector; a scope makes it current for a future or a
//!   closure. Outside any scope every recording is a no-op that reads no clock.
//! - [`record`], [`record_value`], [`describe`], [`timer`] and [`FutureExt::timed`] record what
//!   the attribute cannot express; [`FutureExt::in_current_timings`] carries the collector into
//!   spawned work.
//! - [`Options`] says what is written: precision, repeated names, a header size budget,
//!   descriptions, the `total` metric and `Timing-Allow-Origin`.
//! - [`parse`] reads a `Server-Timing` value exactly as browsers do.
//! - `reqwest::Downstream` (feature `reqwest`) and `tower::DownstreamLayer` (feature `tower`)
//!   time outgoing calls and merge the called service's metrics as `name.*`.
//! - [`Options::trace_context`] names the request's trace ([`TraceParent`]) in the header,
//!   where browser RUM SDKs join it to the page's own data.
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
#![warn(missing_docs, unreachable_pub)]

// What a request's header says and who gets it: data only.
mod options;
// Writing, browser-exact parsing and sanitizing the header value.
mod header;
// Which trace a request's header names, by the W3C rules.
mod trace;
// The per-request collector and everything that records into it.
mod collector;
// Middleware that gives each request a collector and its response the header.
mod server;
// Outgoing calls: timed, their metrics merged, the trace context carried.
mod client;
// After the response: the hook's `Completed`, spans in, histograms out.
mod export;

#[cfg(feature = "reqwest")]
#[doc(inline)]
pub use client::reqwest;
#[cfg(feature = "metrics")]
#[doc(inline)]
pub use export::metrics;
#[cfg(feature = "tracing")]
#[doc(inline)]
pub use export::tracing;
#[cfg(feature = "actix-web")]
#[doc(inline)]
pub use server::actix;
#[doc(inline)]
pub use server::http;

#[cfg(feature = "tower")]
pub mod tower {
    //! A [tower] layer for axum, hyper and any other stack of `http` services, and one for tower
    //! HTTP clients.
    //!
    //! With axum: `Router::new().route(..).layer(ServerTimingLayer::default())`. With bare hyper,
    //! layer a service and hand it to hyper-util's `TowerToHyperService`.
    //!
    //! Every request gets its own [`Timings`](crate::Timings), current while the inner service is
    //! called and while its response future is polled; the `Server-Timing` field (with `total`) is appended to the
    //! response. With [`trailers`](ServerTimingLayer::trailers) on, a streamed response to a client
    //! that accepts trailers gets its metrics in a trailer instead, measured to the body's end.
    //! [`DownstreamLayer`] times the calls a tower HTTP client makes.
    //!
    //! [tower]: https://docs.rs/tower

    pub use crate::client::tower::{DownstreamFuture, DownstreamLayer, DownstreamService};
    pub use crate::server::tower::{
        ResponseFuture, ServerTimingBody, ServerTimingLayer, ServerTimingService,
    };
}

pub use client::merge::record_downstream;
pub use collector::future::{FutureExt, Timed};
pub use collector::metric::Metric;
pub use collector::record::{describe, record, record_value, timer, Timer};
pub use collector::scope::Scope;
pub use collector::timings::Timings;
pub use export::completed::Completed;
pub use header::parse::{parse, parse_headers, ParsedMetric};
pub use header::sanitize::{
    is_token, sanitize_description, sanitize_name, MAX_DESCRIPTION_LEN, MAX_NAME_LEN,
};
pub use header::write::OMITTED_NAME;
pub use options::{
    Options, Repeated, TraceEntry, DEFAULT_HEADER_BUDGET, DEFAULT_MAX_METRICS, DEFAULT_PRECISION,
    DEFAULT_TOTAL_NAME,
};
pub use trace::{ParseTraceParentError, TraceParent};

#[doc(inline)]
pub use server_timing_macros::server_timing;

/// The `Server-Timing` header name.
///
/// ```
/// assert_eq!(server_timing_runtime::SERVER_TIMING, "server-timing");
/// ```
pub const SERVER_TIMING: ::http::HeaderName = ::http::HeaderName::from_static("server-timing");

/// The `Timing-Allow-Origin` header name.
///
/// ```
/// assert_eq!(server_timing_runtime::TIMING_ALLOW_ORIGIN, "timing-allow-origin");
/// ```
pub const TIMING_ALLOW_ORIGIN: ::http::HeaderName = ::http::HeaderName::from_static("timing-allow-origin");

/// What `#[server_timing]` expands to. Not a public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    use std::future::Future;

    pub use crate::collector::future::TimedCall;
    pub use crate::collector::label::CallSite;
    pub use crate::collector::record::{Check, NotAResult, SyncGuard};

    // Inlined into the timed fn, with the check for a collector it starts with: outside any
    // scope, the attribute must cost next to nothing (the `record` bench's `outside_scope`).
    #[inline]
    pub fn guard(site: &'static CallSite) -> SyncGuard {
        SyncGuard::new(site)
    }

    /// `check` tells whether the output is an `Err(_)` (see [`Check`]).
    pub fn timed<F: Future, C: Fn(&F::Output) -> bool>(
        site: &'static CallSite,
        future: F,
        check: C,
    ) -> TimedCall<F, C> {
        TimedCall::new(site, future, check)
    }

    /// For fns returning `impl Future` whose body is not an `async` block: the closure keeps
    /// `return` in the body leaving the body.
    pub fn timed_call<F: Future, C: Fn(&F::Output) -> bool>(
        site: &'static CallSite,
        make: impl FnOnce() -> F,
        check: C,
    ) -> TimedCall<F, C> {
        timed(site, make(), check)
    }

    /// Run a sync fn's body as a closure whose return type `R` is the fn's, so that `return`
    /// and `?` leave the body with the value that is then checked.
    pub fn body<R, F: FnOnce() -> R>(body: F) -> R {
        body()
    }
}
