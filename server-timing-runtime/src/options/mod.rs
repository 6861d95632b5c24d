//! What a request's `Server-Timing` header says and who gets it: the settings every adapter
//! shares, as plain data.

mod forward;
mod trace_entry;
#[cfg_attr(not(any(feature = "actix-web", feature = "tower")), allow(unused_imports))]
pub(crate) use forward::{adapter_example, forward_options};
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
/// use std::time::Duration;
/// use server_timing_runtime::{describe, record, Options, Repeated, Timings};
///
/// let header = |repeated| {
///     let timings = Timings::with_options(Options::new().no_total().repeated(repeated));
///     timings.sync_scope(|| {
///         record("db", Duration::from_millis(2));
///         record("db", Duration::from_millis(3));
///     });
///     timings.finish().unwrap()
/// };
/// assert_eq!(header(Repeated::Aggregate), r#"db;dur=5;desc="2 calls""#);
/// assert_eq!(header(Repeated::Each), "db;dur=2, db;dur=3");
///
/// // Under `Each`, a description is a recording of its own.
/// let timings = Timings::with_options(Options::new().no_total().repeated(Repeated::Each));
/// timings.sync_scope(|| {
///     record("db", Duration::from_millis(2));
///     describe("db", "DB read");
///     record("db", Duration::from_millis(3));
/// });
/// assert_eq!(timings.finish().unwrap(), r#"db;dur=2, db;desc="DB read", db;dur=3"#);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Repeated {
    /// One entry per name: durations summed, the number of calls kept and written into the
    /// description (`"DB read (3 calls)"`), so DevTools shows it.
    #[default]
    Aggregate,
    /// One entry per recording, in order, up to [`Options::max_metrics`]. A
    /// [`describe`](crate::describe) is a recording too: an entry of its own, with the
    /// description and no duration.
    Each,
}

/// Settings of one request's collector and of the header written from it.
///
/// Cheap to clone (one reference count): middleware keeps one and hands a clone to every
/// request's [`Timings`](crate::Timings). Adapters (`actix::ServerTiming`,
/// `tower::ServerTimingLayer`) expose the same builder methods.
///
/// ```
/// use std::time::Duration;
/// use http::{HeaderMap, HeaderValue};
/// use server_timing_runtime::{describe, record, Options, Repeated, Timings};
///
/// let options = Options::new()
///     .precision(1)
///     .repeated(Repeated::Each)
///     .header_budget(1024)
///     .descriptions(false)
///     .total("app")
///     .timing_allow_origin(HeaderValue::from_static("https://example.com"));
/// let timings = Timings::with_options(options);
/// timings.sync_scope(|| {
///     record("db", Duration::from_micros(1_240));
///     record("db", Duration::from_micros(760));
///     describe("cache", "hit");
/// });
///
/// let mut headers = HeaderMap::new();
/// timings.append_to(&mut headers);
/// let value = headers["server-timing"].to_str().unwrap();
/// assert!(value.starts_with("app;dur="), "{value}");
/// assert!(value.ends_with(", db;dur=1.2, db;dur=0.8, cache"), "{value}");
/// assert_eq!(headers["timing-allow-origin"], "https://example.com");
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
    /// use std::time::Duration;
    /// use http::HeaderMap;
    /// use server_timing_runtime::{describe, record, Options, Timings};
    ///
    /// let timings = Timings::with_options(Options::new());
    /// timings.sync_scope(|| {
    ///     record("db", Duration::from_nanos(1_234_567));
    ///     record("db", Duration::from_millis(1));
    ///     describe("cache", "hit");
    /// });
    /// let mut headers = HeaderMap::new();
    /// timings.append_to(&mut headers);
    /// let value = headers["server-timing"].to_str().unwrap();
    /// assert!(value.starts_with("total;dur="), "{value}");
    /// assert!(value.ends_with(r#", db;dur=2.235;desc="2 calls", cache;desc=hit"#), "{value}");
    /// assert!(!headers.contains_key("timing-allow-origin"));
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
    /// use std::time::Duration;
    /// use server_timing_runtime::{record, Options, Timings};
    ///
    /// let header = |options: Options| {
    ///     let timings = Timings::with_options(options.no_total());
    ///     timings.sync_scope(|| record("db", Duration::from_micros(12_340)));
    ///     timings.finish().unwrap()
    /// };
    /// assert_eq!(header(Options::new().precision(0)), "db;dur=12");
    /// assert_eq!(header(Options::new().precision(1)), "db;dur=12.3");
    /// assert_eq!(header(Options::new()), "db;dur=12.34", "3 decimals, trailing zeros not written");
    /// ```
    #[must_use]
    pub fn precision(self, decimals: u8) -> Self {
        self.edit(|c| c.precision = decimals.min(6))
    }

    /// What to do with a name recorded more than once. See [`Repeated`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use server_timing_runtime::{record, Options, Repeated, Timings};
    ///
    /// let timings = Timings::with_options(Options::new().no_total().repeated(Repeated::Each));
    /// timings.sync_scope(|| {
    ///     record("db", Duration::from_millis(2));
    ///     record("db", Duration::from_millis(3));
    /// });
    /// assert_eq!(timings.finish().unwrap(), "db;dur=2, db;dur=3");
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
    /// use std::time::Duration;
    /// use server_timing_runtime::{record, Options, Timings};
    ///
    /// let timings = Timings::with_options(Options::new().no_total().max_metrics(2));
    /// timings.sync_scope(|| {
    ///     for name in ["a", "b", "c", "c", "d"] {
    ///         record(name, Duration::from_millis(1));
    ///     }
    /// });
    /// assert_eq!(timings.omitted(), 2, "`c` and `d`, `c` counted once");
    /// assert_eq!(timings.finish().unwrap(), r#"a;dur=1, b;dur=1, omitted;desc="2 metrics""#);
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
    /// use std::time::Duration;
    /// use server_timing_runtime::{record, Options, Timings};
    ///
    /// let timings = Timings::with_options(Options::new().no_total().header_budget(96));
    /// timings.sync_scope(|| {
    ///     for i in 0..20 {
    ///         record(format!("metric{i}"), Duration::from_millis(1));
    ///     }
    /// });
    /// let value = timings.finish().unwrap();
    /// assert!(value.len() <= 96);
    /// assert_eq!(
    ///     value,
    ///     r#"metric0;dur=1, metric1;dur=1, metric2;dur=1, omitted;desc="17 metrics""#
    /// );
    /// ```
    #[must_use]
    pub fn header_budget(self, bytes: usize) -> Self {
        self.edit(|c| c.header_budget = bytes.max(MIN_HEADER_BUDGET))
    }

    /// Whether descriptions reach the header. `false` writes names and durations only, for
    /// clients that may see timings but not what the server was doing.
    ///
    /// ```
    /// use std::time::Duration;
    /// use server_timing_runtime::{describe, record, Options, Timings};
    ///
    /// let timings = Timings::with_options(Options::new().no_total().descriptions(false));
    /// timings.sync_scope(|| {
    ///     describe("cache", "hit");
    ///     record("db", Duration::from_millis(2));
    ///     describe("db", "Query users");
    /// });
    /// assert_eq!(timings.finish().unwrap(), "cache, db;dur=2");
    /// ```
    #[must_use]
    pub fn descriptions(self, send: bool) -> Self {
        self.edit(|c| c.descriptions = send)
    }

    /// Name the whole-request metric (default `total`); written sanitized like any dynamic name
    /// (see [`sanitize_name`](crate::sanitize_name)).
    ///
    /// ```
    /// use server_timing_runtime::{Options, Timings};
    ///
    /// let value = Timings::with_options(Options::new().total("app")).finish().unwrap();
    /// assert!(value.to_str().unwrap().starts_with("app;dur="), "{value:?}");
    ///
    /// let value = Timings::with_options(Options::new().total("my app")).finish().unwrap();
    /// assert!(value.to_str().unwrap().starts_with("my_app;dur="), "{value:?}");
    /// ```
    #[must_use]
    pub fn total(self, name: impl Into<Cow<'static, str>>) -> Self {
        let name = name.into();
        self.edit(|c| c.total = Some(name))
    }

    /// Describe the whole-request metric.
    ///
    /// ```
    /// use server_timing_runtime::{Options, Timings};
    ///
    /// let options = Options::new().total_description("Whole request");
    /// let value = Timings::with_options(options).finish().unwrap();
    /// let value = value.to_str().unwrap();
    /// assert!(value.starts_with("total;dur=") && value.ends_with(r#";desc="Whole request""#), "{value}");
    /// ```
    #[must_use]
    pub fn total_description(self, description: impl Into<Cow<'static, str>>) -> Self {
        let description = description.into();
        self.edit(|c| c.total_description = Some(description))
    }

    /// Send no whole-request metric.
    ///
    /// ```
    /// use std::time::Duration;
    /// use server_timing_runtime::{record, Options, Timings};
    ///
    /// let timings = Timings::with_options(Options::new().no_total());
    /// timings.sync_scope(|| record("db", Duration::from_millis(2)));
    /// assert_eq!(timings.finish().unwrap(), "db;dur=2");
    ///
    /// // Nothing recorded, nothing to send: no header at all.
    /// assert_eq!(Timings::with_options(Options::new().no_total()).finish(), None);
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
    /// use http::{HeaderMap, HeaderValue};
    /// use server_timing_runtime::{Options, Timings, TIMING_ALLOW_ORIGIN};
    ///
    /// let options = Options::new()
    ///     .timing_allow_origin(HeaderValue::from_static("https://app.example.com"));
    ///
    /// let mut headers = HeaderMap::new();
    /// Timings::with_options(options.clone()).append_to(&mut headers);
    /// assert_eq!(headers[TIMING_ALLOW_ORIGIN], "https://app.example.com");
    ///
    /// // The application's own value is kept, and no other added.
    /// let mut headers = HeaderMap::new();
    /// headers.insert(TIMING_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    /// Timings::with_options(options).append_to(&mut headers);
    /// let values: Vec<_> = headers.get_all(TIMING_ALLOW_ORIGIN).iter().collect();
    /// assert_eq!(values, ["*"]);
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
