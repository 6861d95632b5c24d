//! Per-request [`Server-Timing`](https://www.w3.org/TR/server-timing/) for Rust web services:
//! put `#[server_timing]` on any fn, sync or async, add the middleware, and see where each
//! request's time went in the browser's DevTools and in
//! `performance.getEntriesByType("navigation")[0].serverTiming`. A response gets one more
//! header field, e.g.
//!
//! ```text
//! Server-Timing: total;dur=41.2, auth;dur=0.8, db;dur=12.345;desc="DB read", cache;desc=hit
//! ```
//!
//! # The middleware
//!
//! actix-web (feature `actix-web`): [`actix::ServerTiming`].
//!
//! ```
//! # #[cfg(feature = "actix-web")]
//! # actix_web::rt::System::new().block_on(async {
//! use actix_web::{test, web, App, HttpResponse};
//! use server_timing_runtime::{actix::ServerTiming, server_timing};
//!
//! #[server_timing("db", desc = "DB read")]
//! async fn load_user(id: u32) -> String {
//!     format!("user {id}")
//! }
//!
//! let app = test::init_service(
//!     App::new()
//!         .wrap(ServerTiming::new())
//!         .route("/", web::get().to(|| async { HttpResponse::Ok().body(load_user(7).await) })),
//! )
//! .await;
//! let response = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
//! let header = response.headers().get("server-timing").unwrap().to_str().unwrap();
//! assert!(header.starts_with("total;dur="));
//! assert!(header.contains(r#"db;dur="#) && header.ends_with(r#";desc="DB read""#));
//! # });
//! ```
//!
//! axum, hyper and any tower stack (feature `tower`): [`tower::ServerTimingLayer`].
//!
//! ```
//! # #[cfg(feature = "axum")]
//! # futures::executor::block_on(async {
//! use axum::{routing::get, Router};
//! use server_timing_runtime::{server_timing, tower::ServerTimingLayer};
//! use tower::ServiceExt;
//!
//! #[server_timing]
//! fn render() -> &'static str {
//!     "hello"
//! }
//!
//! let app = Router::new()
//!     .route("/", get(|| async { render() }))
//!     .layer(ServerTimingLayer::new());
//! let request = http::Request::get("/").body(axum::body::Body::empty()).unwrap();
//! let response = app.oneshot(request).await.unwrap();
//! let header = response.headers()["server-timing"].to_str().unwrap();
//! assert!(header.starts_with("total;dur=") && header.contains(", render;dur="));
//! # });
//! ```
//!
//! Both take the same [`Options`] (precision, repeated names, a header budget, descriptions,
//! `total`, `Timing-Allow-Origin`, trace context), a per-request predicate for who is timed
//! (`when`) and who gets the header (`send_when`), and an `on_complete` hook that hands every
//! finished request ([`Completed`]) to logs and metrics. For any other stack,
//! [`http::timed_response`] does the same around a response future.
//!
//! # The attribute
//!
//! [`server_timing`] times a fn from entry to every exit (`return`, `?`, a panic), or an async
//! fn from its first poll to its completion, awaits included; an `Err` is marked `failed`, a
//! future dropped early `cancelled`. Outside a request it costs one thread-local read.
//!
//! ```
//! use server_timing_runtime::{server_timing, Timings};
//!
//! #[server_timing]                              // named `authenticate`
//! fn authenticate(token: &str) -> bool {
//!     !token.is_empty()
//! }
//!
//! #[server_timing("db", desc = "DB read")]
//! fn query(sql: &str) -> Result<usize, String> {
//!     sql.find("users").ok_or_else(|| "no table".to_owned())
//! }
//!
//! let timings = Timings::new();
//! timings.sync_scope(|| {
//!     authenticate("t0ken");
//!     let _ = query("select 1");
//! });
//! let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
//! assert_eq!(names, ["authenticate", "db"]);
//! assert_eq!(timings.metrics()[1].failed(), 1);
//! ```
//!
//! # Features
//!
//! | feature | what it adds |
//! |---|---|
//! | (none) | the attribute, [`Timings`], the recording functions, [`parse`], the [`http`] adapter |
//! | `actix-web` | [`actix::ServerTiming`], actix-web 4 middleware (needs Rust 1.89, as actix-web 4.18 does) |
//! | `tower` | [`tower::ServerTimingLayer`] for axum and hyper, [`tower::DownstreamLayer`] for tower clients |
//! | `axum` | the tower layer reads axum's `MatchedPath` for [`Completed::route`] |
//! | `reqwest` | [`reqwest::Downstream`]: outgoing calls timed, their metrics merged |
//! | `tracing` | [`tracing::layer`]: `tracing` spans (and sqlx's statement events) as metrics |
//! | `metrics` | [`metrics::histograms`]: every request's metrics into the `metrics` facade |
//! | `opentelemetry` | trace context from the request's OpenTelemetry span |
//! | `sentry` | the `sentry-trace` entry from the request's Sentry transaction (needs Rust 1.89) |
//!
//! # By hand
//!
//! - [`Timings`] is the per-request collector; a scope makes it current for a future or a
//!   closure. Outside any scope every recording is a no-op that reads no clock.
//! - [`record`], [`record_value`], [`describe`], [`timer`] and [`FutureExt::timed`] record what
//!   the attribute cannot express; [`FutureExt::in_current_timings`] carries the collector into
//!   spawned work.
//! - [`parse`] reads a `Server-Timing` value exactly as browsers do; [`record_downstream`]
//!   merges a called service's.
//! - [`Options::trace_context`] names the request's trace ([`TraceParent`]) in the header,
//!   where browser RUM SDKs join it to the page's own data.
//!
//! ```
//! use std::time::Duration;
//! use server_timing_runtime::{record, Timings};
//!
//! # futures::executor::block_on(async {
//! let timings = Timings::new();
//! timings.scope(async { record("queue", Duration::from_micros(250)) }).await;
//! let header = timings.finish().unwrap();
//! assert!(header.to_str().unwrap().ends_with(", queue;dur=0.25"));
//! # });
//! ```
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
#![forbid(unsafe_code)]
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
pub use collector::record::{Timer, describe, record, record_value, timer};
pub use collector::scope::Scope;
pub use collector::timings::Timings;
pub use export::completed::Completed;
pub use header::names::{SERVER_TIMING, TIMING_ALLOW_ORIGIN};
pub use header::parse::{ParsedMetric, parse, parse_headers};
pub use header::sanitize::{
    MAX_DESCRIPTION_LEN, MAX_NAME_LEN, is_token, sanitize_description, sanitize_name,
};
pub use header::write::OMITTED_NAME;
pub use options::{
    DEFAULT_HEADER_BUDGET, DEFAULT_MAX_METRICS, DEFAULT_PRECISION, DEFAULT_TOTAL_NAME, Options, Repeated,
    TraceEntry,
};
pub use trace::{ParseTraceParentError, TraceParent};

#[doc(inline)]
pub use server_timing_macros::server_timing;

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
