//! What a request's `Server-Timing` header says and who gets it: the settings every adapter
//! shares, as plain data.

mod forward;
mod trace_entry;
#[cfg_attr(not(any(feature = "actix-web", feature = "tower")), allow(unused_imports))]
pub(crate) use forward::forward_options;
pub(crate) use trace_entry::TraceEntries;
pub use trace_entry::TraceEntry;

use std::borrow::Cow;
use std::sync::Arc;

use http::HeaderValue;

/// Default for [`Options::header_budget`], in bytes of the `Server-Timing` value.
///
/// nginx's `proxy_buffer_size` defaults to one memory page (4 KiB on x86-64) and must hold
/// the whole response head; many CDNs cap a single header near 8 KiB. Half a page leaves the
/// application the other half for its own headers.
pub const DEFAULT_HEADER_BUDGET: usize = 2048;

/// Default for [`Options::max_metrics`]: distinct entries one request may hold.
pub const DEFAULT_MAX_METRICS: usize = 64;

/// Default for [`Options::precision`]: decimals of a millisecond (microsecond resolution).
pub const DEFAULT_PRECISION: u8 = 3;

/// The name of the whole-request metric unless [`Options::total`] changes it.
pub const DEFAULT_TOTAL_NAME: &str = "total";

/// The smallest budget [`Options::header_budget`] accepts: room for `total` and the
/// "omitted" entry, so dropping metrics is always visible.
const MIN_HEADER_BUDGET: usize = 96;

/// What a request does with a metric name it has already recorded.
///
/// ```
/// use server_timing_runtime::{Options, Repeated};
///
/// let each = Options::new().repeated(Repeated::Each);
/// # let _ = each;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Repeated {
    /// One entry per name: durations summed, the number of calls kept and written into the
    /// description (`"DB read (3 calls)"`), so DevTools shows it.
    #[default]
    Aggregate,
    /// One entry per recording, in order, up to [`Options::max_metrics`].
    Each,
}

/// Settings of one request's collector and of the header written from it.
///
/// Cheap to clone (one reference count): middleware keeps one and hands a clone to every
/// request's [`Timings`](crate::Timings). Adapters (`actix::ServerTiming`,
/// `tower::ServerTimingLayer`) expose the same builder methods.
///
/// ```
/// use server_timing_runtime::{Options, Repeated, Timings};
/// use http::HeaderValue;
///
/// let options = Options::new()
///     .precision(1)
///     .repeated(Repeated::Each)
///     .header_budget(1024)
///     .descriptions(false)
///     .total("app")
///     .timing_allow_origin(HeaderValue::from_static("https://example.com"));
/// let timings = Timings::with_options(options);
/// # let _ = timings;
/// ```
#[derive(Clone, Debug)]
pub struct Options(Arc<Config>);

#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) precision: u8,
    pub(crate) repeated: Repeated,
    pub(crate) max_metrics: usize,
    pub(crate) header_budget: usize,
    pub(crate) descriptions: bool,
    pub(crate) total: Option<Cow<'static, str>>,
    pub(crate) total_description: Option<Cow<'static, str>>,
    pub(crate) timing_allow_origin: Vec<HeaderValue>,
    pub(crate) trace_context: bool,
    pub(crate) trace_entries: TraceEntries,
    pub(crate) trace_context_on_cacheable: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options(Arc::new(Config {
            precision: DEFAULT_PRECISION,
            repeated: Repeated::Aggregate,
            max_metrics: DEFAULT_MAX_METRICS,
            header_budget: DEFAULT_HEADER_BUDGET,
            descriptions: true,
            total: Some(Cow::Borrowed(DEFAULT_TOTAL_NAME)),
            total_description: None,
            timing_allow_origin: Vec::new(),
            trace_context: false,
            trace_entries: TraceEntries::DEFAULT,
            trace_context_on_cacheable: false,
        }))
    }
}

impl Options {
    /// The defaults: 3 decimals, aggregated names, 64 metrics, a 2 KiB header, descriptions
    /// sent, a `total` metric, no `Timing-Allow-Origin`.
    ///
    /// ```
    /// let options = server_timing_runtime::Options::new();
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn edit(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(Arc::make_mut(&mut self.0));
        self
    }

    pub(crate) fn config(&self) -> &Config {
        &self.0
    }

    /// The `Timing-Allow-Origin` values a response gets: the configured ones, unless the
    /// application set its own. `has_own` is asked only when some are configured, so the
    /// default costs no header lookup.
    pub(crate) fn allow_origins(&self, has_own: impl FnOnce() -> bool) -> &[HeaderValue] {
        let origins = &self.config().timing_allow_origin;
        if origins.is_empty() || has_own() {
            &[]
        } else {
            origins
        }
    }

    /// Decimals of a millisecond written in `dur` (0 to 6; larger values mean 6). Trailing
    /// zeros are not written: `12.5`, not `12.500`.
    ///
    /// ```
    /// let options = server_timing_runtime::Options::new().precision(0);
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn precision(self, decimals: u8) -> Self {
        self.edit(|c| c.precision = decimals.min(6))
    }

    /// What to do with a name recorded more than once. See [`Repeated`].
    ///
    /// ```
    /// use server_timing_runtime::{Options, Repeated};
    /// let options = Options::new().repeated(Repeated::Each);
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn repeated(self, repeated: Repeated) -> Self {
        self.edit(|c| c.repeated = repeated)
    }

    /// How many entries one request keeps (at least 1). Entries past it are counted (a name
    /// once, however often it is recorded) and reported in an `omitted` entry, never stored,
    /// so memory stays bounded. Once all are taken, a `#[server_timing]` fn takes the place of
    /// the last name given at run time, so that a flood of those cannot push it out.
    ///
    /// ```
    /// let options = server_timing_runtime::Options::new().max_metrics(16);
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn max_metrics(self, max: usize) -> Self {
        self.edit(|c| c.max_metrics = max.max(1))
    }

    /// The largest `Server-Timing` value written, in bytes (at least 96). Entries that do not
    /// fit are left out and counted in a last `omitted` entry. Default:
    /// [`DEFAULT_HEADER_BUDGET`].
    ///
    /// ```
    /// let options = server_timing_runtime::Options::new().header_budget(1024);
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn header_budget(self, bytes: usize) -> Self {
        self.edit(|c| c.header_budget = bytes.max(MIN_HEADER_BUDGET))
    }

    /// Whether descriptions reach the header. `false` writes names and durations only, for
    /// clients that may see timings but not what the server was doing.
    ///
    /// ```
    /// let options = server_timing_runtime::Options::new().descriptions(false);
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn descriptions(self, send: bool) -> Self {
        self.edit(|c| c.descriptions = send)
    }

    /// Name the whole-request metric (default `total`); written sanitized like any dynamic name
    /// (see [`sanitize_name`](crate::sanitize_name)).
    ///
    /// ```
    /// let options = server_timing_runtime::Options::new().total("app");
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn total(self, name: impl Into<Cow<'static, str>>) -> Self {
        let name = name.into();
        self.edit(|c| c.total = Some(name))
    }

    /// Describe the whole-request metric.
    ///
    /// ```
    /// let options = server_timing_runtime::Options::new().total_description("Whole request");
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn total_description(self, description: impl Into<Cow<'static, str>>) -> Self {
        let description = description.into();
        self.edit(|c| c.total_description = Some(description))
    }

    /// Send no whole-request metric.
    ///
    /// ```
    /// let options = server_timing_runtime::Options::new().no_total();
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn no_total(self) -> Self {
        self.edit(|c| c.total = None)
    }

    /// Add a `Timing-Allow-Origin` value (an origin, or `*`), sent with the metrics so that
    /// cross-origin pages may read them. Absent by default: browsers then hide cross-origin
    /// `serverTiming` entries. Never overwrites a `Timing-Allow-Origin` the application set.
    ///
    /// ```
    /// use http::HeaderValue;
    /// let options = server_timing_runtime::Options::new()
    ///     .timing_allow_origin(HeaderValue::from_static("https://app.example.com"));
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn timing_allow_origin(self, origin: HeaderValue) -> Self {
        self.edit(|c| c.timing_allow_origin.push(origin))
    }

    /// Name the request's trace in its header, so that browser RUM SDKs (Grafana Faro,
    /// Splunk RUM, Application Insights, Sentry) join what the page saw to the server's trace:
    /// by default an entry `traceparent;desc="00-<trace id>-<span id>-<flags>"`, and
    /// `tracestate;desc="…"` when the request carried a valid one (see
    /// [`trace_entries`](Self::trace_entries) for the others). Off by default.
    ///
    /// The ids come from, first that applies: the OpenTelemetry context current when the
    /// request starts (feature `opentelemetry`: `opentelemetry::Context::current()`, which
    /// `tracing-opentelemetry` makes the entered `tracing` span's context by default, else
    /// the current `tracing` span's context; so put the tracing middleware outside this
    /// one); the request's own `traceparent`, read by W3C Trace Context's rules (the trace
    /// kept, a new span id for this server, the `sampled` and `random` flags carried over; a
    /// higher version read as its version `00` fields; an invalid one is ignored); else a
    /// fresh random trace, `sampled` and `random` set.
    /// [`Timings::trace_parent`](crate::Timings::trace_parent) gives them to the application,
    /// e.g. for its logs, and outgoing calls (`reqwest::Downstream`,
    /// `tower::DownstreamLayer`) carry the trace on, each with a span id of its own.
    ///
    /// The trace entries open the toolkit's field, ahead of `total` (some RUM agents read a
    /// `traceparent` only at the start of the header value). Like every entry they fit in the
    /// [header budget](Self::header_budget), and they are not written when
    /// [descriptions](Self::descriptions) are off. They are left off a response that a shared
    /// cache may store (see [`trace_context_on_cacheable`](Self::trace_context_on_cacheable)).
    ///
    /// ```
    /// use server_timing_runtime::{Options, Timings};
    ///
    /// let timings = Timings::with_options(Options::new().trace_context(true));
    /// let parent = timings.trace_parent().unwrap();
    /// assert_eq!(parent.flags(), 0x03, "a fresh trace: sampled, and its id random");
    /// let value = timings.finish().unwrap();
    /// let entry = format!("traceparent;desc=\"{}-01\", total;dur=", &parent.to_string()[..52]);
    /// assert!(value.to_str().unwrap().starts_with(&entry), "{value:?}");
    /// ```
    #[must_use]
    pub fn trace_context(self, on: bool) -> Self {
        self.edit(|c| c.trace_context = on)
    }

    /// Which entries name the request's trace when [trace context](Self::trace_context) is
    /// on: by default `[TraceEntry::Traceparent]`. They are written in the order of
    /// [`TraceEntry`]'s variants, whatever order they are given in; none given, none is
    /// written (the trace context still goes to outgoing calls and the hook).
    ///
    /// ```
    /// use server_timing_runtime::{Options, TraceEntry, Timings};
    ///
    /// let options = Options::new()
    ///     .no_total()
    ///     .trace_context(true)
    ///     .trace_entries([TraceEntry::Trace]);
    /// let timings = Timings::with_options(options);
    /// let parent = timings.trace_parent().unwrap();
    /// assert_eq!(timings.finish().unwrap(), format!("trace;desc={parent}").as_str());
    /// ```
    #[must_use]
    pub fn trace_entries(self, entries: impl IntoIterator<Item = TraceEntry>) -> Self {
        let entries = TraceEntries::of(entries);
        self.edit(|c| c.trace_entries = entries)
    }

    /// Write the trace context even on a response that a shared cache may store.
    ///
    /// By default it is left off a response whose `Cache-Control` has `public`, `s-maxage`
    /// or `max-age`, unless it also has `private` or `no-store`: a CDN or proxy would replay
    /// the stored header, so every later visitor's RUM data would join this one request's
    /// trace. Turn this on where no shared cache sits in front of the service.
    ///
    /// ```
    /// use http::{header::CACHE_CONTROL, HeaderMap, HeaderValue};
    /// use server_timing_runtime::{Options, Timings};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    /// let options = Options::new().trace_context(true).trace_context_on_cacheable(true);
    /// Timings::with_options(options).append_to(&mut headers);
    /// assert!(headers["server-timing"].to_str().unwrap().contains("traceparent;desc="));
    /// ```
    #[must_use]
    pub fn trace_context_on_cacheable(self, on: bool) -> Self {
        self.edit(|c| c.trace_context_on_cacheable = on)
    }
}
