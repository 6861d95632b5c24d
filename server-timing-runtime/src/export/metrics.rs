//! Every request's metrics into the [`metrics`](https://docs.rs/metrics) facade, so that any
//! exporter (Prometheus, StatsD, OTLP) serves them to the fleet's monitoring: [`histograms`].
//!
//! ```
//! use server_timing_runtime::tower::ServerTimingLayer;
//!
//! // Install an exporter first (e.g. metrics-exporter-prometheus), then:
//! let layer = ServerTimingLayer::new().on_complete(server_timing_runtime::metrics::histograms());
//! # let _ = layer;
//! ```
//!
//! What is recorded, per finished request (see [`Completed`]):
//!
//! - histogram [`HISTOGRAM`] (`server_timing_duration_seconds`), in seconds, once for
//!   [`total`](Completed::total) (under the collector's `total` name, `total` by default) and
//!   once for each metric with a duration, labelled `metric` with its name and `route` with [`Completed::route`] where the framework knows it;
//! - counter [`OMITTED_COUNTER`] (`server_timing_omitted_total`), by the recordings dropped
//!   past [`Options::max_metrics`](crate::Options::max_metrics), labelled `route`.
//!
//! Bounded cardinality: each label value is a new time series, so only names fixed at compile
//! time (the attribute's, a literal passed to [`record`](crate::record)) and the names on
//! [`Histograms::allow`] are label values. Names built at run time (`format!`, a downstream's
//! merged metrics) are recorded under `metric="other"`, whatever they are. The request's path
//! is never a label: only its route pattern.

use std::borrow::Cow;
use std::collections::HashSet;

use metrics::{Label, Unit};

use crate::{Completed, DEFAULT_TOTAL_NAME};

/// The histogram every duration is recorded into, in seconds.
///
/// ```
/// assert_eq!(server_timing_runtime::metrics::HISTOGRAM, "server_timing_duration_seconds");
/// ```
pub const HISTOGRAM: &str = "server_timing_duration_seconds";

/// The counter of recordings a request dropped past its `max_metrics`.
///
/// ```
/// assert_eq!(server_timing_runtime::metrics::OMITTED_COUNTER, "server_timing_omitted_total");
/// ```
pub const OMITTED_COUNTER: &str = "server_timing_omitted_total";

/// The `metric` label value of every name neither fixed at compile time nor allowed.
///
/// ```
/// assert_eq!(server_timing_runtime::metrics::OTHER, "other");
/// ```
pub const OTHER: &str = "other";

/// The ready `on_complete` hook with the defaults of [`Histograms::new`]: compile-time names
/// only, `route` labels on.
///
/// ```
/// use server_timing_runtime::actix::ServerTiming;
///
/// let timing = ServerTiming::new().on_complete(server_timing_runtime::metrics::histograms());
/// # let _ = timing;
/// ```
pub fn histograms() -> impl Fn(&Completed<'_>) + Send + Sync + 'static {
    Histograms::new().build()
}

/// [`histograms`] with settings: names made at run time that may be label values, and
/// whether routes are.
///
/// ```
/// use server_timing_runtime::metrics::Histograms;
/// use server_timing_runtime::tower::ServerTimingLayer;
///
/// let hook = Histograms::new().allow("shard_a").allow("shard_b").build();
/// let layer = ServerTimingLayer::new().on_complete(hook);
/// # let _ = layer;
/// ```
#[derive(Clone, Debug)]
pub struct Histograms {
    allowed: HashSet<Cow<'static, str>>,
    routes: bool,
}

impl Default for Histograms {
    fn default() -> Self {
        Histograms {
            allowed: HashSet::new(),
            routes: true,
        }
    }
}

impl Histograms {
    /// Compile-time names only, `route` labels on.
    ///
    /// ```
    /// let hook = server_timing_runtime::metrics::Histograms::new().build();
    /// # let _ = hook;
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Let `name` be a `metric` label value even when it is made at run time. Give it as the
    /// header shows it (sanitized).
    ///
    /// ```
    /// let hook = server_timing_runtime::metrics::Histograms::new().allow("inventory.db").build();
    /// # let _ = hook;
    /// ```
    #[must_use]
    pub fn allow(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.allowed.insert(name.into());
        self
    }

    /// Whether [`Completed::route`] becomes a `route` label (default `true`).
    ///
    /// ```
    /// let hook = server_timing_runtime::metrics::Histograms::new().routes(false).build();
    /// # let _ = hook;
    /// ```
    #[must_use]
    pub fn routes(mut self, on: bool) -> Self {
        self.routes = on;
        self
    }

    /// The `on_complete` hook. It describes [`HISTOGRAM`] and [`OMITTED_COUNTER`] to the
    /// recorder installed now, so install the exporter first.
    ///
    /// ```
    /// use server_timing_runtime::tower::ServerTimingLayer;
    ///
    /// let layer = ServerTimingLayer::new().on_complete(server_timing_runtime::metrics::Histograms::new().build());
    /// # let _ = layer;
    /// ```
    pub fn build(self) -> impl Fn(&Completed<'_>) + Send + Sync + 'static {
        metrics::describe_histogram!(HISTOGRAM, Unit::Seconds, "Server-Timing durations per request");
        metrics::describe_counter!(
            OMITTED_COUNTER,
            "Server-Timing recordings dropped past max_metrics"
        );
        move |done| self.record(done)
    }

    fn record(&self, done: &Completed<'_>) {
        let route = done
            .route()
            .filter(|_| self.routes)
            .map(|route| Label::new("route", route.to_owned()));
        let total = done.total_name.unwrap_or(DEFAULT_TOTAL_NAME);
        // The application names its `total` once: a bounded value whatever it is.
        let total = if total == DEFAULT_TOTAL_NAME {
            Cow::Borrowed(DEFAULT_TOTAL_NAME)
        } else {
            Cow::Owned(total.to_owned())
        };
        self.observe(total, &route, done.total().as_secs_f64());
        for metric in done.metrics() {
            if let Some(duration) = metric.duration() {
                self.observe(self.value(metric.name.clone()), &route, duration.as_secs_f64());
            }
        }
        if done.omitted() > 0 {
            let labels: Vec<Label> = route.into_iter().collect();
            metrics::counter!(OMITTED_COUNTER, labels).increment(u64::from(done.omitted()));
        }
    }

    fn observe(&self, metric: Cow<'static, str>, route: &Option<Label>, seconds: f64) {
        let mut labels = Vec::with_capacity(2);
        labels.push(Label::new("metric", metric));
        labels.extend(route.iter().cloned());
        metrics::histogram!(HISTOGRAM, labels).record(seconds);
    }

    /// The label value of a metric name: a `'static` one is fixed at compile time (literals
    /// and the attribute's names; names sanitized or built at run time are owned).
    fn value(&self, name: Cow<'static, str>) -> Cow<'static, str> {
        match name {
            Cow::Borrowed(_) => name,
            Cow::Owned(_) if self.allowed.contains(&name) => name,
            Cow::Owned(_) => Cow::Borrowed(OTHER),
        }
    }
}
