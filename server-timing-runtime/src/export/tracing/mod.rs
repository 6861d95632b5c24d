//! `tracing` spans as metrics (feature `tracing`): what a service and its libraries already
//! instrument shows up in `Server-Timing` with no second attribute.
//!
//! ```
//! use std::time::Duration;
//! use server_timing_runtime::Timings;
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let subscriber = tracing_subscriber::registry().with(server_timing_runtime::tracing::layer());
//! tracing::subscriber::with_default(subscriber, || {
//!     let timings = Timings::new();
//!     timings.sync_scope(|| {
//!         let span = tracing::info_span!("load", server_timing = "db", server_timing.desc = "Load user");
//!         span.in_scope(|| std::thread::sleep(Duration::from_millis(2)));
//!     });
//!     let db = &timings.metrics()[0];
//!     assert_eq!((db.name(), db.description()), ("db", Some("Load user")));
//!     assert!(db.duration().unwrap() >= Duration::from_millis(2));
//! });
//! ```
//!
//! - **Which spans.** A span opts in with a `server_timing` field, its metric name, and may
//!   carry a `server_timing.desc`: `#[tracing::instrument(fields(server_timing = "db"))]`.
//!   Only a string value counts: a `server_timing` field of another type (a number, a `%` or
//!   `?` value) is ignored, so the span is not recorded (or, with
//!   [`all_spans`](Layer::all_spans), goes by its span name). [`Layer::all_spans`] takes every
//!   span the layer sees instead, meant to be narrowed with tracing-subscriber's per-layer
//!   filters.
//! - **Which request.** The collector current where the span is created, else the one of its
//!   nearest ancestor span that has one. A span created outside any request is not recorded,
//!   wherever it is entered later.
//! - **When.** When the span closes, that is when its last handle is dropped, on whichever
//!   thread; a span that closes once the request's header is written is not in the header,
//!   but reaches the `on_complete` hook. A library that keeps a clone of the span a little
//!   longer delays it: sqlx's SQLite worker drops the one it was sent just after answering,
//!   so a span around a single query may close after the response. Mapping sqlx's events ([`Layer::event`]) has no such race.
//! - **How long.** Wall time from the span's first enter to its close, as `#[server_timing]`
//!   times an async fn from its first poll to its completion; [`Layer::busy_time`] counts only
//!   the time the span was entered. A span never entered records nothing.
//! - **Nesting.** A span inside an ancestor span of the same metric name is not counted again.
//! - **Panics.** A span a panic goes through, that is one exited or closed while its thread
//!   unwinds, counts as panicked ([`Metric::panicked`](crate::Metric::panicked)), as
//!   `#[server_timing]` marks a call that panicked; the span may close after the panic is
//!   caught. A span entered while the thread is already unwinding (from a `Drop`) counts as
//!   panicked too, as the attribute's calls do there.
//! - **Cancellation.** A future dropped before it completed cannot be told apart: tracing's
//!   `Instrumented` (what `.instrument(span)` and an `#[instrument]` async fn make) enters its
//!   span to drop its future whether or not it finished, and then closes it, so the span
//!   records as completed, for the time until it was dropped. `#[server_timing]` on the async
//!   fn counts such a call as cancelled ([`Metric::cancelled`](crate::Metric::cancelled)).
//! - **Several instances.** A subscriber may hold more than one instance of the layer (two
//!   crates each add one, or one per filter): each span is timed once, by the first instance
//!   from the registry outwards that selects it, under that instance's rules; an instance that
//!   keeps a span only to carry its request (it maps events) leaves it to a later one that
//!   times it. A mapped event is likewise recorded once, by the first instance that records
//!   it.
//! - **Events.** [`Layer::event`] maps the events of a target that carry their own duration
//!   (sqlx's `sqlx::query`) to a metric.
//!
//! Names and descriptions are run-time text: they are sanitized like
//! [`record`](crate::record)'s and bounded by [`Options::max_metrics`](crate::Options::max_metrics)
//! and the header budget like any recording.

mod events;
mod fields;
mod layer;
mod span;

pub use layer::Layer;

/// The layer with its defaults: spans that carry a `server_timing` field, wall time, no
/// events. Add it to a `tracing_subscriber::registry()`.
///
/// ```
/// use server_timing_runtime::Timings;
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let subscriber = tracing_subscriber::registry().with(server_timing_runtime::tracing::layer());
/// tracing::subscriber::with_default(subscriber, || {
///     let timings = Timings::new();
///     timings.sync_scope(|| {
///         tracing::info_span!("load", server_timing = "db").in_scope(|| {});
///         tracing::info_span!("plain").in_scope(|| {});
///         tracing::debug!(target: "sqlx::query", elapsed_secs = 0.004);
///     });
///     let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
///     assert_eq!(names, ["db"], "only the span with a `server_timing` field, no events");
/// });
/// ```
pub fn layer() -> Layer {
    Layer::default()
}
