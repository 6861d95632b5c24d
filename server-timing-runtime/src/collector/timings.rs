//! The per-request collector's handle: making one, making it current, reading it, and
//! closing it into its `Server-Timing` value.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use http::{HeaderMap, HeaderValue};

use crate::collector::batch;
use crate::collector::clock::Moment;
use crate::collector::current::{self, Entered};
use crate::collector::entries::Entries;
use crate::collector::inner::Inner;
use crate::collector::label::Label;
use crate::collector::metric::{Metric, Outcome};
use crate::collector::response::ResponseHead;
use crate::header::write;
use crate::options::Options;
use crate::trace::{self, TRACEPARENT, TRACESTATE, TraceContext, TraceParent};

/// A request's collector: every [`record`](crate::record), [`timer`](crate::timer) and
/// `#[server_timing]` fn called while it is current adds to it.
///
/// Cheap to clone (one `Arc`); `Send + Sync`, so work carried onto other threads (see
/// [`FutureExt::in_current_timings`](crate::FutureExt::in_current_timings)) records into the
/// same request.
///
/// ```
/// use std::time::Duration;
/// use server_timing_runtime::{record, Timings};
///
/// # futures::executor::block_on(async {
/// let timings = Timings::new();
/// timings.scope(async { record("db", Duration::from_millis(4)) }).await;
/// let value = timings.finish().unwrap();
/// assert!(value.to_str().unwrap().starts_with("total;dur="));
/// assert!(value.to_str().unwrap().ends_with(", db;dur=4"));
/// # });
/// ```
#[derive(Clone)]
pub struct Timings {
    inner: Arc<Inner>,
}

impl Default for Timings {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Timings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timings")
            .field("metrics", &self.metrics())
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl Timings {
    /// A collector with the default [`Options`]. Its `total` runs from now.
    ///
    /// ```
    /// let timings = server_timing_runtime::Timings::new();
    /// assert!(timings.metrics().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::with_options(Options::default())
    }

    /// A collector with the given options. Its `total` runs from now.
    ///
    /// ```
    /// use std::time::Duration;
    /// use server_timing_runtime::{record, Options, Timings};
    ///
    /// let timings = Timings::with_options(Options::new().precision(1));
    /// timings.sync_scope(|| record("db", Duration::from_micros(1_240)));
    /// let value = timings.finish().unwrap();
    /// assert!(value.to_str().unwrap().ends_with(", db;dur=1.2"), "{value:?}");
    /// ```
    pub fn with_options(options: Options) -> Self {
        let trace = options.config().trace_context.then(trace::without_request);
        Self::with_trace(options, trace)
    }

    /// A collector for a request with these headers: like [`with_options`](Self::with_options),
    /// and with [`Options::trace_context`] on, the request's trace continues the one its
    /// `traceparent` names (see [`trace_parent`](Self::trace_parent)).
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue};
    /// use server_timing_runtime::{Options, Timings};
    ///
    /// let mut request = HeaderMap::new();
    /// request.insert(
    ///     "traceparent",
    ///     HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    /// );
    /// let timings = Timings::for_request(Options::new().trace_context(true), &request);
    /// let parent = timings.trace_parent().unwrap();
    /// assert_eq!(parent.to_string()[..35], *"00-4bf92f3577b34da6a3ce929d0e0e4736");
    /// ```
    pub fn for_request(options: Options, request_headers: &HeaderMap) -> Self {
        let trace = options.config().trace_context.then(|| {
            trace::from_request(
                || {
                    request_headers
                        .get_all(&TRACEPARENT)
                        .iter()
                        .map(HeaderValue::as_bytes)
                },
                || {
                    request_headers
                        .get_all(&TRACESTATE)
                        .iter()
                        .map(HeaderValue::as_bytes)
                },
            )
        });
        Self::with_trace(options, trace)
    }

    /// A collector naming `trace` in its header, for adapters that read the request.
    pub(crate) fn with_trace(options: Options, trace: Option<TraceContext>) -> Self {
        let trace = trace.map(|trace| trace.for_entries(options.config().trace_entries));
        Timings {
            inner: Arc::new(Inner::new(options, trace)),
        }
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }

    /// The collector current here: inside [`scope`](Self::scope) or
    /// [`sync_scope`](Self::sync_scope), or `None`.
    ///
    /// ```
    /// use server_timing_runtime::Timings;
    /// assert!(Timings::current().is_none());
    /// Timings::new().sync_scope(|| assert!(Timings::current().is_some()));
    /// ```
    pub fn current() -> Option<Timings> {
        current::current().map(|inner| Timings { inner })
    }

    /// Run `f` with this collector current, e.g. inside `spawn_blocking`.
    ///
    /// ```
    /// use server_timing_runtime::{record, Timings};
    /// let timings = Timings::new();
    /// let answer = timings.sync_scope(|| {
    ///     record("work", std::time::Duration::from_micros(5));
    ///     42
    /// });
    /// assert_eq!(answer, 42);
    /// assert_eq!(timings.metrics()[0].name(), "work");
    /// ```
    pub fn sync_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let _entered = Entered::new(Some(&self.inner));
        f()
    }

    /// Capture the collector current now, and run `f` with it current, wherever and whenever
    /// `f` runs: what [`FutureExt::in_current_timings`](crate::FutureExt::in_current_timings)
    /// is for futures, for a closure handed to `spawn_blocking` or a thread pool. Outside any
    /// scope, `f` runs as it is.
    ///
    /// ```
    /// use server_timing_runtime::{record, Timings};
    /// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)] async fn main() {
    /// let timings = Timings::new();
    /// timings
    ///     .scope(async {
    ///         let work = Timings::current_scope(|| {
    ///             record("blocking", std::time::Duration::ZERO);
    ///             7
    ///         });
    ///         assert_eq!(tokio::task::spawn_blocking(work).await.unwrap(), 7);
    ///     })
    ///     .await;
    /// assert_eq!(timings.metrics()[0].name(), "blocking");
    /// # }
    /// ```
    pub fn current_scope<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
        let current = Timings::current();
        move || match current {
            Some(timings) => timings.sync_scope(f),
            None => f(),
        }
    }

    /// A snapshot of what was recorded so far, after aggregation, in the order their first
    /// recordings started: callers before the calls they make. What has no start (a duration
    /// given to [`record`](crate::record), a value, a description) goes where it was
    /// recorded. `total` is not among them: it is measured when the header is written.
    ///
    /// ```
    /// use server_timing_runtime::{describe, Timings};
    /// let timings = Timings::new();
    /// timings.sync_scope(|| describe("cache", "miss"));
    /// assert_eq!(timings.metrics()[0].description(), Some("miss"));
    /// ```
    pub fn metrics(&self) -> Vec<Metric> {
        self.entries().metrics.clone()
    }

    /// How many entries were left out: each name (with [`Repeated::Each`](crate::Repeated::Each), each recording)
    /// not kept because [`Options::max_metrics`] was reached, counted once however often it
    /// was recorded; once the header is written, also the entries its budget left out. This
    /// is the `N` of the header's `omitted;desc="N metrics"`.
    ///
    /// ```
    /// use server_timing_runtime::{record, Options, Timings};
    /// let timings = Timings::with_options(Options::new().max_metrics(1));
    /// timings.sync_scope(|| {
    ///     record("a", std::time::Duration::ZERO);
    ///     for _ in 0..3 {
    ///         record("b", std::time::Duration::ZERO);
    ///     }
    /// });
    /// assert_eq!(timings.omitted(), 1);
    /// ```
    pub fn omitted(&self) -> u32 {
        self.entries().omitted
    }

    /// Time since this collector was made: what `total` would say now.
    ///
    /// ```
    /// let timings = server_timing_runtime::Timings::new();
    /// assert!(timings.elapsed() < std::time::Duration::from_secs(60));
    /// ```
    pub fn elapsed(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// The options this collector was made with.
    ///
    /// ```
    /// use std::time::Duration;
    /// use server_timing_runtime::{record, Options, Timings};
    ///
    /// let first = Timings::with_options(Options::new().no_total().precision(0));
    /// // Another collector under the same options.
    /// let second = Timings::with_options(first.options().clone());
    /// second.sync_scope(|| record("db", Duration::from_micros(1_240)));
    /// assert_eq!(second.finish().unwrap(), "db;dur=1");
    /// ```
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// The request's trace context, with [`Options::trace_context`] on (else `None`), with
    /// all its flags: what the header's trace entries name, for the application's log lines.
    /// (Outgoing calls through `reqwest::Downstream` and `tower::DownstreamLayer` get a parent
    /// id of their own in this trace.)
    ///
    /// It is this request's even when the response turns out to be one a shared cache may
    /// store, which then does not carry it (see [`Options::trace_context_on_cacheable`]).
    ///
    /// ```
    /// use server_timing_runtime::{Options, Timings, TraceEntry};
    ///
    /// assert!(Timings::new().trace_parent().is_none());
    /// let options = Options::new().trace_context(true).trace_entries([TraceEntry::Trace]);
    /// let timings = Timings::with_options(options);
    /// let parent = timings.trace_parent().unwrap();
    /// let value = timings.finish().unwrap();
    /// assert!(value.to_str().unwrap().starts_with(&format!("trace;desc={parent}")));
    /// ```
    pub fn trace_parent(&self) -> Option<TraceParent> {
        self.inner.trace.as_ref().map(|trace| trace.parent)
    }

    /// The `tracestate` that goes with [`trace_parent`](Self::trace_parent): the request's
    /// (or its OpenTelemetry span's) when it was valid.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue};
    /// use server_timing_runtime::{Options, Timings};
    ///
    /// let mut request = HeaderMap::new();
    /// request.insert(
    ///     "traceparent",
    ///     HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    /// );
    /// request.insert("tracestate", HeaderValue::from_static("congo=t61rcWkgMzE"));
    /// let timings = Timings::for_request(Options::new().trace_context(true), &request);
    /// assert_eq!(timings.trace_state(), Some("congo=t61rcWkgMzE"));
    /// ```
    pub fn trace_state(&self) -> Option<&str> {
        self.inner.trace.as_ref()?.state.as_deref()
    }

    /// The request's trace context, with [`Options::trace_context`] on.
    #[cfg_attr(not(any(feature = "reqwest", feature = "tower")), allow(dead_code))]
    pub(crate) fn trace_context(&self) -> Option<&TraceContext> {
        self.inner.trace.as_ref()
    }

    /// The response head is made: leave the trace context off it if its `Cache-Control`
    /// fields say a shared cache may store it (unless [`Options::trace_context_on_cacheable`]),
    /// and read now what the trace entries take from the request's context (the Sentry span,
    /// which the body's polls may no longer see). The fields are looked up only with trace
    /// context on.
    pub(crate) fn at_response_head(&self, head: &impl ResponseHead) {
        if let Some(trace) = &self.inner.trace {
            let _ = trace.sentry();
        }
        if self.inner.trace.is_some()
            && !self.inner.options.config().trace_context_on_cacheable
            && trace::cache::shared_cache_may_store(head.cache_control())
        {
            self.inner.trace_withheld.store(true, Ordering::Relaxed);
        }
    }

    /// What the header says of the trace, if anything: descriptions are where it is written.
    fn trace_entry(&self) -> Option<&TraceContext> {
        let trace = self.inner.trace.as_ref()?;
        let written =
            self.inner.options.config().descriptions && !self.inner.trace_withheld.load(Ordering::Relaxed);
        written.then_some(trace)
    }

    /// Close the collector and write its `Server-Timing` value: `total` (measured now, unless
    /// turned off), then every metric in the order of [`metrics`](Self::metrics), within the
    /// header budget.
    ///
    /// With [`Options::trace_context`] on, the trace entries come first; `finish` knows no
    /// response, so the shared-cache rule is applied by [`append_to`](Self::append_to) and
    /// the adapters, not here.
    ///
    /// A second call returns `None`, so a response never gets the same metrics twice; `None`
    /// also when there is nothing to write. Recordings made later (while a streamed body is
    /// sent, say) are not in the header, but stay readable through
    /// [`metrics`](Self::metrics) with what was written, e.g. for the `on_complete` hook's
    /// log line after the response.
    ///
    /// ```
    /// use server_timing_runtime::{describe, Options, Timings};
    /// let timings = Timings::with_options(Options::new().no_total());
    /// timings.sync_scope(|| describe("cache", "hit"));
    /// assert_eq!(timings.finish().unwrap(), "cache;desc=hit");
    /// timings.sync_scope(|| describe("render", "streamed"));
    /// assert_eq!(timings.finish(), None);
    /// let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    /// assert_eq!(names, ["cache", "render"]);
    /// ```
    pub fn finish(&self) -> Option<HeaderValue> {
        HeaderValue::from_bytes(&self.finish_value()?).ok()
    }

    /// [`finish`](Self::finish) as bytes: only visible ASCII and spaces, for whichever `http`
    /// version's `HeaderValue` the caller builds.
    pub(crate) fn finish_value(&self) -> Option<Vec<u8>> {
        let total = self.inner.started.elapsed();
        let config = self.inner.options.config();
        let mut entries = self.entries();
        if entries.closed {
            return None;
        }
        entries.closed = true;
        let texts = self.trace_entry().map(TraceContext::texts);
        let mut sentry_trace = [b'-'; trace::SENTRY_TRACE_LEN];
        let leads = texts
            .as_ref()
            .map(|texts| texts.leads(config.trace_entries, &mut sentry_trace));
        let leads = leads.as_ref().map_or(&[][..], |leads| leads.as_slice());
        let written = write::header_value(config, Some(total), leads, &entries.metrics, entries.omitted);
        entries.omitted = written.omitted;
        written.value
    }

    /// [`finish`](Self::finish), then append the value to `headers` as a new `Server-Timing`
    /// field (fields already there are kept as they are), with the configured
    /// `Timing-Allow-Origin` values unless `headers` has that header already. Returns whether
    /// a field was appended. The trace context is left out when `headers` (the response's)
    /// say a shared cache may store it.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue};
    /// use server_timing_runtime::Timings;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.append("server-timing", HeaderValue::from_static("cdn;dur=1"));
    /// assert!(Timings::new().append_to(&mut headers));
    /// let fields: Vec<_> = headers.get_all("server-timing").iter().collect();
    /// assert_eq!(fields.len(), 2);
    /// assert_eq!(fields[0], "cdn;dur=1");
    /// ```
    pub fn append_to(&self, headers: &mut HeaderMap) -> bool {
        self.at_response_head(headers);
        self.append(headers)
    }

    /// [`finish`](Self::finish), then append the value to `head` as a new `Server-Timing`
    /// field, with the configured `Timing-Allow-Origin` values unless `head` has its own.
    /// Returns whether a field was appended. The cache rule is the caller's to apply first.
    pub(crate) fn append(&self, head: &mut impl ResponseHead) -> bool {
        let Some(value) = self.finish_value() else {
            return false;
        };
        if !head.append_server_timing(&value) {
            return false;
        }
        self.append_allow_origins(head);
        true
    }

    /// Append the configured `Timing-Allow-Origin` values to `head`, unless it has its own.
    pub(crate) fn append_allow_origins(&self, head: &mut impl ResponseHead) {
        let origins = self
            .inner
            .options
            .allow_origins(|| head.has_timing_allow_origin());
        for origin in origins {
            head.append_timing_allow_origin(origin);
        }
    }

    /// Add timed work that ran from `start` to `end`: ordered by its start, and counted once
    /// where it overlaps other work of the same name.
    pub(crate) fn add_span(&self, label: Label, start: Moment, end: Moment, outcome: Outcome) {
        self.inner.add_span(label, start, end, outcome);
    }

    /// Whether this is the collector current on this thread.
    pub(crate) fn is_current_here(&self) -> bool {
        current::is_current_here(&self.inner)
    }

    /// The locked entries, with this thread's batch folded in under the same lock when it is
    /// this collector's (when this collector is current here).
    fn entries(&self) -> MutexGuard<'_, Entries> {
        let here = self.is_current_here();
        let mut entries = self.inner.lock();
        if here {
            batch::drain(|slots| entries.add_slots(slots, self.inner.max_metrics()));
        }
        entries
    }
}
