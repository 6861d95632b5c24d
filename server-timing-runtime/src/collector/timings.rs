//! The per-request collector and the scope that makes it current.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::CACHE_CONTROL;
use http::{HeaderMap, HeaderValue};
use pin_project_lite::pin_project;

use crate::adapters::trace_context;
use crate::collector::batch::{self, Slot};
use crate::collector::clock::Moment;
use crate::collector::label::CallSite;
use crate::collector::label::Label;
use crate::collector::metric::{Measure, Metric, Outcome};
use crate::header::format;
use crate::header::sanitize;
use crate::header::traceparent::{TraceContext, TraceParent, TRACEPARENT, TRACESTATE};
use crate::options::{Options, Repeated};
use crate::SERVER_TIMING;

thread_local! {
    // The collector of the scope being polled on this thread. A raw pointer rather than an
    // `Arc`: entering a scope is then two `Cell` writes and no reference counting. It is only
    // non-null while a `Scope` (or `sync_scope`) that owns an `Arc` of it is on this stack.
    // No destructor, so it stays readable while the thread's other locals are torn down.
    static CURRENT: Cell<*const Inner> = const { Cell::new(ptr::null()) };
}

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

pub(crate) struct Inner {
    options: Options,
    // Copied out of `options`: read on every timed call.
    aggregate: bool,
    started: Moment,
    state: Mutex<State>,
    // Chosen when the request starts (`Options::trace_context`); withheld from a response a
    // shared cache may store.
    trace: Option<TraceContext>,
    trace_withheld: AtomicBool,
}

struct State {
    /// In the order their first recordings started (see `State::place`).
    metrics: Vec<Metric>,
    /// Entries left out: for lack of room, then, once written, also for the header budget.
    omitted: u32,
    /// Hashes of the names left out for lack of room, sorted, so that each counts once.
    omitted_names: Vec<u64>,
    closed: bool,
}

/// Names left out that are remembered, so that each is counted once; any further name left
/// out counts at each recording (a flood past this many is counted high, in bounded memory).
const OMITTED_NAMES_KEPT: usize = 1_024;

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
    /// use server_timing_runtime::{Options, Timings};
    /// let timings = Timings::with_options(Options::new().precision(1));
    /// # let _ = timings;
    /// ```
    pub fn with_options(options: Options) -> Self {
        let trace = options
            .config()
            .trace_context
            .then(trace_context::without_request);
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
            trace_context::from_request(
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
        Timings {
            inner: Arc::new(Inner {
                aggregate: options.config().repeated == Repeated::Aggregate,
                options,
                started: Moment::now(),
                state: Mutex::new(State {
                    metrics: Vec::new(),
                    omitted: 0,
                    omitted_names: Vec::new(),
                    closed: false,
                }),
                trace,
                trace_withheld: AtomicBool::new(false),
            }),
        }
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
        let inner = CURRENT.try_with(Cell::get).ok()?;
        if inner.is_null() {
            return None;
        }
        // SAFETY: a non-null CURRENT points into an `Arc<Inner>` that the `Scope` or
        // `sync_scope` being run on this thread keeps alive (see `Entered`), so its strong
        // count is at least one and it may be cloned.
        unsafe {
            Arc::increment_strong_count(inner);
            Some(Timings {
                inner: Arc::from_raw(inner),
            })
        }
    }

    /// Run `future` with this collector current during every poll of it, and while it is
    /// dropped.
    ///
    /// ```
    /// use server_timing_runtime::{record, Timings};
    /// # futures::executor::block_on(async {
    /// let timings = Timings::new();
    /// timings.scope(async { record("db", std::time::Duration::ZERO) }).await;
    /// assert_eq!(timings.metrics().len(), 1);
    /// # });
    /// ```
    pub fn scope<F: Future>(&self, future: F) -> Scope<F> {
        Scope::new(Some(self.clone()), future)
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
        self.state().metrics.clone()
    }

    /// How many entries were left out: each name (with [`Repeated::Each`], each recording)
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
        self.state().omitted
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
    /// use server_timing_runtime::Timings;
    /// let options = Timings::new().options().clone();
    /// # let _ = options;
    /// ```
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// The trace this request's header names, with [`Options::trace_context`] on (else
    /// `None`): for the application's log lines, or the `traceparent` of the calls it makes
    /// (`Timings::current().and_then(|t| t.trace_parent())`).
    ///
    /// It is this request's even when the response turns out to be one a shared cache may
    /// store, which then does not carry it (see [`Options::trace_context_on_cacheable`]).
    ///
    /// ```
    /// use server_timing_runtime::{Options, Timings};
    ///
    /// assert!(Timings::new().trace_parent().is_none());
    /// let timings = Timings::with_options(Options::new().trace_context(true));
    /// let parent = timings.trace_parent().unwrap();
    /// assert!(timings.finish().unwrap().to_str().unwrap().contains(&parent.to_string()));
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

    /// Leave the trace context off this response if its `Cache-Control` fields say a shared
    /// cache may store it (unless [`Options::trace_context_on_cacheable`]). The fields are
    /// looked up only then: with trace context off, this costs no header lookup.
    pub(crate) fn apply_cache_rule<'a, I>(&self, cache_control: impl FnOnce() -> I)
    where
        I: Iterator<Item = &'a [u8]>,
    {
        if self.inner.trace.is_some()
            && !self.inner.options.config().trace_context_on_cacheable
            && trace_context::shared_cache_may_store(cache_control())
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
    /// turned off) first, then every metric in the order of [`metrics`](Self::metrics),
    /// within the header budget.
    ///
    /// With [`Options::trace_context`] on, the trace entries follow `total`; `finish` knows no
    /// response, so the shared-cache rule is applied by [`append_to`](Self::append_to) and
    /// the adapters, not here.
    ///
    /// Later recordings are ignored, and a second call returns `None`, so a response never
    /// gets the same metrics twice. `None` also when there is nothing to write. What was
    /// written stays readable through [`metrics`](Self::metrics), e.g. for a log line after
    /// the response.
    ///
    /// ```
    /// use server_timing_runtime::{Options, Timings};
    /// let timings = Timings::with_options(Options::new().no_total());
    /// timings.sync_scope(|| server_timing_runtime::describe("cache", "hit"));
    /// assert_eq!(timings.finish().unwrap(), "cache;desc=hit");
    /// assert_eq!(timings.finish(), None);
    /// assert_eq!(timings.metrics()[0].name(), "cache");
    /// ```
    pub fn finish(&self) -> Option<HeaderValue> {
        self.finish_value(ReadAfter::Yes).map(into_header_value)
    }

    /// [`finish`](Self::finish) as bytes, for adapters whose `HeaderValue` is another `http`
    /// version's: only visible ASCII and spaces. The metrics stay readable through
    /// [`metrics`](Self::metrics) unless `read_after` says the caller will not read them and
    /// nothing else holds this collector.
    pub(crate) fn finish_value(&self, read_after: ReadAfter) -> Option<Bytes> {
        let total = self.inner.started.elapsed();
        let config = self.inner.options.config();
        // Only this handle exists (nobody can clone it meanwhile: it is not current on any
        // other thread, which would take another handle), and its holder reads no metrics.
        let unread = read_after == ReadAfter::No && Arc::strong_count(&self.inner) == 1;
        let mut state = self.inner.lock();
        if state.closed {
            return None;
        }
        let trace = self.trace_entry();
        let mut from_batch = None;
        if self.is_current_here() {
            batch::drain(|slots| {
                if unread
                    && state.metrics.is_empty()
                    && state.omitted == 0
                    && slots.len() <= config.max_metrics
                {
                    // Every metric is still in this thread's batch (a request polled once, the
                    // usual case) and nobody will read them: written straight from it, without
                    // making metrics of it. (At most a batch of them: no allocation to sort.)
                    slots.sort_by_key(Slot::first);
                    from_batch = Some(format::header_value(config, Some(total), trace, slots, 0).0);
                } else {
                    state.add_slots(slots, config.max_metrics);
                }
            });
        }
        state.closed = true;
        if let Some(value) = from_batch {
            return value;
        }
        // Written under the lock: unread, nobody else can be waiting for it.
        let (value, omitted) =
            format::header_value(config, Some(total), trace, &state.metrics, state.omitted);
        state.omitted = omitted;
        if unread {
            recycle(std::mem::take(&mut state.metrics));
        }
        value
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
        self.append(headers, ReadAfter::Yes)
    }

    /// [`append_to`](Self::append_to), for an adapter: see [`finish_value`](Self::finish_value).
    pub(crate) fn append(&self, headers: &mut HeaderMap, read_after: ReadAfter) -> bool {
        self.apply_cache_rule(|| headers.get_all(CACHE_CONTROL).iter().map(HeaderValue::as_bytes));
        let Some(value) = self.finish_value(read_after) else {
            return false;
        };
        headers.append(SERVER_TIMING, into_header_value(value));
        self.inner.options.append_allow_origins(headers);
        true
    }

    /// Add timed work that ran from `start` to `end`: ordered by its start, and counted once
    /// where it overlaps other work of the same name.
    pub(crate) fn add_span(&self, label: Label, start: Moment, end: Moment, outcome: Outcome) {
        self.inner.add_span(label, start, end, outcome);
    }

    /// Whether this is the collector current on this thread.
    #[inline]
    pub(crate) fn is_current_here(&self) -> bool {
        CURRENT.try_with(Cell::get).ok() == Some(Arc::as_ptr(&self.inner))
    }

    /// The locked state, with this thread's batch folded in under the same lock when it is
    /// this collector's (when this collector is current here).
    fn state(&self) -> MutexGuard<'_, State> {
        let here = self.is_current_here();
        let mut state = self.inner.lock();
        if here {
            let max = self.inner.options.config().max_metrics;
            batch::drain(|slots| state.add_slots(slots, max));
        }
        state
    }

    /// Whether a collector is current here, without cloning it.
    #[inline]
    pub(crate) fn is_current() -> bool {
        CURRENT.try_with(|c| !c.get().is_null()).unwrap_or(false)
    }

    /// Run `f` on the current collector, if any, without cloning it.
    #[inline]
    pub(crate) fn with_current(f: impl FnOnce(&Inner)) {
        let inner = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
        if inner.is_null() {
            return;
        }
        // SAFETY: see `current`; the reference does not outlive this call.
        f(unsafe { &*inner });
    }
}

/// Record a timed call of `site` from `start` to `end` into the collector current on this
/// thread, if any: how every `#[server_timing]` call ends.
#[inline]
pub(crate) fn record_call(site: &'static CallSite, start: Moment, end: Moment, outcome: Outcome) {
    Timings::with_current(|inner| inner.record_call(site, start, end, outcome));
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock, but a poisoned lock must not take the
        // request down either: the data is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Add one recording without a place in time: in the order, it goes where it is recorded
    /// (recordings made one after another keep their order, whatever durations they carry).
    pub(crate) fn add(&self, label: Label, measure: Measure, outcome: Outcome) {
        Timings::with_current(Inner::flush);
        self.add_now(label, Recorded::Unplaced(measure, Moment::now()), outcome);
    }

    /// Add timed work that ran from `start` to `end`. See [`Timings::add_span`].
    pub(crate) fn add_span(&self, label: Label, start: Moment, end: Moment, outcome: Outcome) {
        Timings::with_current(Inner::flush);
        self.add_now(label, Recorded::Span(start, end), outcome);
    }

    /// Record a timed call of `site` (this collector is current on this thread): into the
    /// batch when it can be batched (it completed, and repeated names are aggregated), else at
    /// once.
    #[inline]
    fn record_call(&self, site: &'static CallSite, start: Moment, end: Moment, outcome: Outcome) {
        if outcome != Outcome::Completed
            || !self.aggregate
            || !batch::stage(site, start, end, |slots| self.add_batch(slots))
        {
            self.unbatched(site, start, end, outcome);
        }
    }

    /// Not for the batch (or the batch cannot be used): straight in, after what the batch
    /// holds of this thread's earlier calls.
    #[cold]
    #[inline(never)]
    fn unbatched(&self, site: &'static CallSite, lo: Moment, hi: Moment, outcome: Outcome) {
        self.flush();
        self.add_now(Label::Site(site), Recorded::Span(lo, hi), outcome);
    }

    /// Move this thread's batch in (this collector is current on this thread).
    #[inline]
    fn flush(&self) {
        batch::drain(|slots| self.add_batch(slots));
    }

    /// Fold a thread's batch in, under one lock.
    fn add_batch(&self, batch: &[Slot]) {
        let max = self.options.config().max_metrics;
        self.lock().add_slots(batch, max);
    }

    /// Add one recording under the lock.
    fn add_now(&self, label: Label, recorded: Recorded, outcome: Outcome) {
        let first = match recorded {
            Recorded::Unplaced(_, first) | Recorded::Span(first, _) => first,
        };
        let mut state = self.lock();
        if state.closed {
            return;
        }
        let max = self.options.config().max_metrics;
        if let Some(metric) = state.entry(label, self.aggregate, max, first) {
            match recorded {
                Recorded::Unplaced(measure, _) => metric.add(measure, outcome),
                Recorded::Span(lo, hi) => metric.add_span(lo, hi, outcome),
            }
        }
    }
}

/// What one recording brings.
#[derive(Clone, Copy)]
enum Recorded {
    /// A measure with no place in time, and where it goes in the order.
    Unplaced(Measure, Moment),
    /// Timed work, from and to.
    Span(Moment, Moment),
}

thread_local! {
    // The metric storage of the last collector finished on this thread, for the next one made
    // here: a request allocates none in the steady state. A `Vec` has a destructor, so
    // `try_with` fails once it is torn down; new storage is allocated then.
    static SPARE: Cell<Vec<Metric>> = const { Cell::new(Vec::new()) };
}

/// Spare storage larger than this (grown by a large `max_metrics`) is not kept.
const SPARE_KEPT: usize = crate::options::DEFAULT_MAX_METRICS;

/// Keep `metrics`' storage for the next collector on this thread.
fn recycle(mut metrics: Vec<Metric>) {
    if metrics.capacity() == 0 || metrics.capacity() > SPARE_KEPT {
        return;
    }
    metrics.clear();
    let _ = SPARE.try_with(|spare| spare.set(metrics));
}

impl State {
    /// Fold in a thread's batch.
    fn add_slots(&mut self, batch: &[Slot], max: usize) {
        if self.closed {
            return;
        }
        // One allocation for the batch rather than a regrowth every few metrics.
        let room = max.saturating_sub(self.metrics.len()).min(batch.len());
        self.storage().reserve(room);
        for slot in batch {
            // Only aggregated recordings are batched.
            if let Some(metric) = self.entry(Label::Site(slot.site), true, max, slot.first()) {
                metric.add_calls(&slot.spans, slot.count);
            }
        }
    }

    /// The metrics, with this thread's spare storage if there was none yet.
    fn storage(&mut self) -> &mut Vec<Metric> {
        if self.metrics.capacity() == 0 {
            if let Ok(spare) = SPARE.try_with(Cell::take) {
                self.metrics = spare;
            }
        }
        &mut self.metrics
    }

    /// The metric a recording under `label` that started at `first` goes into, its
    /// description set if it had none and moved to its place in the order: the metric of that
    /// name when repeated names are aggregated, else a new one; `None` (and the name counted
    /// as omitted) when there is no room for it. Every stored name and description is
    /// sanitized, which the header writer relies on.
    fn entry(&mut self, label: Label, aggregate: bool, max: usize, first: Moment) -> Option<&mut Metric> {
        let fixed = matches!(label, Label::Site(_));
        let (name, description, checked) = label.into_parts();
        let found = match self.find(&name, aggregate) {
            Some(at) => Ok(at),
            None if checked || sanitize::is_clean_name(&name) => {
                self.push(name, max, fixed, first, aggregate)
            }
            None => {
                // Stored names are sanitized: look the name up again as it is stored.
                let clean = sanitize::name(name);
                match self.find(&clean, aggregate) {
                    Some(at) => Ok(at),
                    None => self.push(clean, max, fixed, first, aggregate),
                }
            }
        };
        let mut at = match found {
            Ok(at) => at,
            Err(name) => {
                self.omit(&name, aggregate);
                return None;
            }
        };
        if first < self.metrics[at].first {
            self.metrics[at].first = first;
            at = self.place(at);
        }
        let metric = &mut self.metrics[at];
        if metric.description.is_none() {
            metric.description = if checked {
                description
            } else {
                description.map(sanitize::description)
            };
        }
        Some(metric)
    }

    fn find(&self, name: &str, aggregate: bool) -> Option<usize> {
        if !aggregate {
            return None;
        }
        self.metrics.iter().position(|m| *m.name == *name)
    }

    /// Where a new metric of a sanitized `name` went, if there was room; else the name back.
    ///
    /// When all `max` entries are taken, a name fixed when compiled (a call site) takes the
    /// place of the last name given at run time, which is then counted as omitted: a flood of
    /// run-time names cannot push out the fns timed by the attribute.
    fn push(
        &mut self,
        name: Cow<'static, str>,
        max: usize,
        fixed: bool,
        first: Moment,
        aggregate: bool,
    ) -> Result<usize, Cow<'static, str>> {
        if self.metrics.len() >= max {
            let last_run_time = self.metrics.iter().rposition(|m| !m.fixed);
            match last_run_time {
                Some(at) if fixed => {
                    let evicted = self.metrics.remove(at);
                    self.omit(&evicted.name, aggregate);
                }
                _ => return Err(name),
            }
        }
        let mut metric = Metric::named(name, first);
        metric.fixed = fixed;
        self.storage().push(metric);
        let last = self.metrics.len() - 1;
        Ok(self.place(last))
    }

    /// Move the metric at `at`, whose `first` may have become earlier, back to its place in
    /// the order (after those that started at the same time, which came first); where it went.
    fn place(&mut self, at: usize) -> usize {
        let first = self.metrics[at].first;
        let to = self.metrics[..at]
            .iter()
            .rposition(|m| m.first <= first)
            .map_or(0, |i| i + 1);
        self.metrics[to..=at].rotate_right(1);
        to
    }

    /// Count a name left out for lack of room: once per name when names are aggregated (as
    /// far as [`OMITTED_NAMES_KEPT`] names go), else once per recording, as each would have
    /// been an entry.
    #[cold]
    fn omit(&mut self, name: &str, aggregate: bool) {
        if aggregate {
            let mut hasher = DefaultHasher::new();
            name.hash(&mut hasher);
            let hash = hasher.finish();
            match self.omitted_names.binary_search(&hash) {
                Ok(_) => return,
                Err(at) if self.omitted_names.len() < OMITTED_NAMES_KEPT => {
                    self.omitted_names.insert(at, hash);
                }
                Err(_) => {}
            }
        }
        self.omitted = self.omitted.saturating_add(1);
    }
}

/// A value written by [`Timings::finish_value`] as a `HeaderValue`.
fn into_header_value(value: Bytes) -> HeaderValue {
    // SAFETY: `finish_value` holds visible ASCII and spaces only (see `format::header_value`),
    // all valid in a header value. Checking them again cost as much as writing them; debug
    // builds of `http` still check.
    unsafe { HeaderValue::from_maybe_shared_unchecked(value) }
}

/// Whether whoever writes a collector's value reads its metrics afterwards.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadAfter {
    Yes,
    /// An adapter, which only sends them.
    No,
}

/// Makes a collector current until dropped, then restores the one before (also on unwind).
struct Entered {
    previous: *const Inner,
}

impl Entered {
    fn new(inner: Option<&Arc<Inner>>) -> Self {
        // The batch belongs to the collector being left.
        Timings::with_current(Inner::flush);
        let next = inner.map_or(ptr::null(), Arc::as_ptr);
        let previous = CURRENT.try_with(|c| c.replace(next)).unwrap_or(ptr::null());
        Entered { previous }
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        Timings::with_current(Inner::flush);
        let _ = CURRENT.try_with(|c| c.set(self.previous));
    }
}

pin_project! {
    /// A future run with a collector current: made by [`Timings::scope`] and
    /// [`FutureExt::in_current_timings`](crate::FutureExt::in_current_timings).
    ///
    /// ```
    /// use server_timing_runtime::{Scope, Timings};
    /// let scoped: Scope<_> = Timings::new().scope(async { 1 });
    /// assert_eq!(futures::executor::block_on(scoped), 1);
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct Scope<F> {
        timings: Option<Timings>,
        // `None` only while the scope is dropped, so that the future is dropped with the
        // collector current.
        #[pin]
        future: Option<F>,
    }

    impl<F> PinnedDrop for Scope<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            let _entered = Entered::new(this.timings.as_ref().map(|t| &t.inner));
            this.future.set(None);
        }
    }
}

impl<F> Scope<F> {
    pub(crate) fn new(timings: Option<Timings>, future: F) -> Self {
        Scope {
            timings,
            future: Some(future),
        }
    }

    /// The collector this scope makes current, if any.
    ///
    /// ```
    /// use server_timing_runtime::Timings;
    /// let scoped = Timings::new().scope(async {});
    /// assert!(scoped.timings().is_some());
    /// ```
    pub fn timings(&self) -> Option<&Timings> {
        self.timings.as_ref()
    }
}

impl<F: Future> Scope<F> {
    /// Poll the future; once it is ready, `then` gets its output and the collector while that
    /// collector is still current, so that closing it there folds this thread's batch in
    /// under the same lock (what the adapters do with every response).
    pub(crate) fn poll_then<R>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        then: impl FnOnce(F::Output, Option<&Timings>) -> R,
    ) -> Poll<R> {
        let this = self.project();
        let _entered = Entered::new(this.timings.as_ref().map(|t| &t.inner));
        match this.future.as_pin_mut() {
            Some(future) => future.poll(cx).map(|output| then(output, this.timings.as_ref())),
            // Only reachable from inside our own drop, which never polls.
            None => Poll::Pending,
        }
    }
}

impl<F: Future> Future for Scope<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.poll_then(cx, |output, _| output)
    }
}
