//! Every request's metrics into the [`metrics`](https://docs.rs/metrics) facade, so that any
//! exporter (Prometheus, StatsD, OTLP) serves them to the fleet's monitoring: [`histograms`].
//!
//! ```
//! # mod recorder { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/recorder.rs")); } use recorder::Recorder;
//! use std::time::Duration;
//! use server_timing_runtime::record;
//! use server_timing_runtime::tower::ServerTimingLayer;
//!
//! // `recorder` keeps what it is given, as an exporter would.
//! let recorder = Recorder::default();
//! metrics::with_local_recorder(&recorder, || {
//!     // Install an exporter first (e.g. metrics-exporter-prometheus), then:
//!     let layer = ServerTimingLayer::new().on_complete(server_timing_runtime::metrics::histograms());
//!     // ... and a request whose handler records `db`:
//! #     let service = tower::ServiceBuilder::new().layer(layer).service_fn(|_: http::Request<()>| async {
//! #         record("db", Duration::from_millis(4));
//! #         Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
//! #     });
//! #     futures::executor::block_on(tower::ServiceExt::oneshot(service, http::Request::new(()))).unwrap();
//! });
//! let keys = recorder.keys();
//! assert_eq!(keys, [
//!     "server_timing_duration_seconds{metric=total}",
//!     "server_timing_duration_seconds{metric=db}",
//! ]);
//! assert_eq!(recorder.recorded()[1].1, 0.004, "in seconds");
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

use crate::export::completed::Completed;
use crate::options::DEFAULT_TOTAL_NAME;

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
/// # mod recorder { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/recorder.rs")); } use recorder::Recorder;
/// # use actix_web::{test, web, App, HttpResponse};
/// use std::time::Duration;
/// use server_timing_runtime::actix::ServerTiming;
/// use server_timing_runtime::record;
///
/// // `recorder` keeps what it is given, as an exporter would.
/// let recorder = Recorder::default();
/// metrics::with_local_recorder(&recorder, || {
///     let timing = ServerTiming::new().on_complete(server_timing_runtime::metrics::histograms());
///     // ... and a request to `/orders/7`, routed as `/orders/{id}`, whose handler records `db`:
/// # actix_web::rt::System::new().block_on(async {
/// #     let app = App::new().wrap(timing).route("/orders/{id}", web::get().to(|| async {
/// #         record("db", Duration::from_millis(4));
/// #         HttpResponse::Ok().finish()
/// #     }));
/// #     let app = test::init_service(app).await;
/// #     test::call_service(&app, test::TestRequest::get().uri("/orders/7").to_request()).await;
/// # });
/// });
/// assert_eq!(recorder.keys(), [
///     "server_timing_duration_seconds{metric=total,route=/orders/{id}}",
///     "server_timing_duration_seconds{metric=db,route=/orders/{id}}",
/// ]);
/// ```
pub fn histograms() -> impl Fn(&Completed<'_>) + Send + Sync + 'static {
    Histograms::new().build()
}

/// [`histograms`] with settings: names made at run time that may be label values, and
/// whether routes are.
///
/// ```
/// # mod recorder { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/recorder.rs")); } use recorder::Recorder;
/// use std::time::Duration;
/// use server_timing_runtime::metrics::Histograms;
/// use server_timing_runtime::record;
/// use server_timing_runtime::tower::ServerTimingLayer;
///
/// // `recorder` keeps what it is given, as an exporter would.
/// let recorder = Recorder::default();
/// metrics::with_local_recorder(&recorder, || {
///     let hook = Histograms::new().allow("shard_a").allow("shard_b").build();
///     let layer = ServerTimingLayer::new().on_complete(hook);
///     // ... and a request whose handler records names made at run time:
/// #     let service = tower::ServiceBuilder::new().layer(layer).service_fn(|_: http::Request<()>| async {
/// #         for shard in ["a", "c"] {
/// #             record(format!("shard_{shard}"), Duration::from_millis(1));
/// #         }
/// #         Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
/// #     });
/// #     futures::executor::block_on(tower::ServiceExt::oneshot(service, http::Request::new(()))).unwrap();
/// });
/// assert_eq!(recorder.keys(), [
///     "server_timing_duration_seconds{metric=total}",
///     "server_timing_duration_seconds{metric=shard_a}",
///     "server_timing_duration_seconds{metric=other}",
/// ]);
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
    /// # mod recorder { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/recorder.rs")); } use recorder::Recorder;
    /// use std::time::Duration;
    /// use server_timing_runtime::record;
    /// use server_timing_runtime::tower::ServerTimingLayer;
    ///
    /// // `recorder` keeps what it is given, as an exporter would.
    /// let recorder = Recorder::default();
    /// metrics::with_local_recorder(&recorder, || {
    ///     let hook = server_timing_runtime::metrics::Histograms::new().build();
    ///     // ... and a request that records a literal name and one made at run time:
    /// #     let service = tower::ServiceBuilder::new().layer(ServerTimingLayer::new().on_complete(hook)).service_fn(|_: http::Request<()>| async {
    /// #         record("db", Duration::from_millis(1));
    /// #         record(format!("db_{}", 2), Duration::from_millis(1));
    /// #         Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// #     });
    /// #     futures::executor::block_on(tower::ServiceExt::oneshot(service, http::Request::new(()))).unwrap();
    /// });
    /// assert_eq!(recorder.keys(), [
    ///     "server_timing_duration_seconds{metric=total}",
    ///     "server_timing_duration_seconds{metric=db}",
    ///     "server_timing_duration_seconds{metric=other}",
    /// ]);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Let `name` be a `metric` label value even when it is made at run time. Give it as the
    /// header shows it (sanitized).
    ///
    /// ```
    /// # mod recorder { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/recorder.rs")); } use recorder::Recorder;
    /// use std::time::Duration;
    /// use server_timing_runtime::record;
    /// use server_timing_runtime::tower::ServerTimingLayer;
    ///
    /// // `recorder` keeps what it is given, as an exporter would.
    /// let recorder = Recorder::default();
    /// metrics::with_local_recorder(&recorder, || {
    ///     let hook = server_timing_runtime::metrics::Histograms::new().allow("inventory.db").build();
    ///     // ... and a request that records `inventory.db` and `inventory.cache`, made at run time
    ///     // as a downstream's merged metrics are:
    /// #     let service = tower::ServiceBuilder::new().layer(ServerTimingLayer::new().on_complete(hook)).service_fn(|_: http::Request<()>| async {
    /// #         for name in ["db", "cache"] {
    /// #             record(format!("inventory.{name}"), Duration::from_millis(1));
    /// #         }
    /// #         Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// #     });
    /// #     futures::executor::block_on(tower::ServiceExt::oneshot(service, http::Request::new(()))).unwrap();
    /// });
    /// assert_eq!(recorder.keys(), [
    ///     "server_timing_duration_seconds{metric=total}",
    ///     "server_timing_duration_seconds{metric=inventory.db}",
    ///     "server_timing_duration_seconds{metric=other}",
    /// ]);
    /// ```
    #[must_use]
    pub fn allow(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.allowed.insert(name.into());
        self
    }

    /// Whether [`Completed::route`] becomes a `route` label (default `true`).
    ///
    /// ```
    /// # mod recorder { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/recorder.rs")); } use recorder::Recorder;
    /// # use actix_web::{test, web, App, HttpResponse};
    /// use std::time::Duration;
    /// use server_timing_runtime::actix::ServerTiming;
    /// use server_timing_runtime::record;
    ///
    /// // `recorder` keeps what it is given, as an exporter would.
    /// let recorder = Recorder::default();
    /// metrics::with_local_recorder(&recorder, || {
    ///     let hook = server_timing_runtime::metrics::Histograms::new().routes(false).build();
    ///     let timing = ServerTiming::new().on_complete(hook);
    ///     // ... and a request to `/orders/7`, routed as `/orders/{id}`, whose handler records `db`:
    /// # actix_web::rt::System::new().block_on(async {
    /// #     let app = App::new().wrap(timing).route("/orders/{id}", web::get().to(|| async {
    /// #         record("db", Duration::from_millis(4));
    /// #         HttpResponse::Ok().finish()
    /// #     }));
    /// #     let app = test::init_service(app).await;
    /// #     test::call_service(&app, test::TestRequest::get().uri("/orders/7").to_request()).await;
    /// # });
    /// });
    /// assert_eq!(recorder.keys(), [
    ///     "server_timing_duration_seconds{metric=total}",
    ///     "server_timing_duration_seconds{metric=db}",
    /// ]);
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
    /// # mod recorder { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/recorder.rs")); } use recorder::Recorder;
    /// use std::time::Duration;
    /// use server_timing_runtime::record;
    /// use server_timing_runtime::tower::ServerTimingLayer;
    ///
    /// // `recorder` keeps what it is given, as an exporter would.
    /// let recorder = Recorder::default();
    /// let layer = metrics::with_local_recorder(&recorder, || {
    ///     ServerTimingLayer::new()
    ///         .max_metrics(1)
    ///         .on_complete(server_timing_runtime::metrics::Histograms::new().build())
    /// });
    /// assert_eq!(recorder.described(), ["server_timing_duration_seconds", "server_timing_omitted_total"]);
    ///
    /// metrics::with_local_recorder(&recorder, || {
    ///     // ... a request that records two names, one past `max_metrics`:
    /// #     let service = tower::ServiceBuilder::new().layer(layer).service_fn(|_: http::Request<()>| async {
    /// #         record("db", Duration::from_millis(1));
    /// #         record("cache", Duration::from_millis(1));
    /// #         Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// #     });
    /// #     futures::executor::block_on(tower::ServiceExt::oneshot(service, http::Request::new(()))).unwrap();
    /// });
    /// let recorded = recorder.recorded();
    /// assert_eq!(recorded.last().unwrap(), &("server_timing_omitted_total{}".to_owned(), 1.0));
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
