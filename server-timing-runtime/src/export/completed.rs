//! After the response: what an `on_complete` hook is handed about one finished request.

use std::fmt;
use std::time::Duration;

use http::{Method, StatusCode};

use crate::collector::metric::Metric;
use crate::trace::TraceParent;

/// One finished request, as an `on_complete` hook sees it: what was asked, what was answered,
/// and everything its collector holds.
///
/// Handed to the hook set with `.on_complete(..)` on `actix::ServerTiming`,
/// `tower::ServerTimingLayer` or [`TimedResponse`](crate::http::TimedResponse), once per
/// request whose collector was made (its `when` held), whether its header was sent or not.
///
/// A structured log line per request:
///
/// ```
/// use std::sync::{mpsc, Arc};
/// use std::time::Duration;
/// use server_timing_runtime::http::timed_response;
/// use server_timing_runtime::{record, Completed, Timings};
///
/// let line = |done: &Completed| {
///     let metrics: Vec<String> = done
///         .metrics()
///         .iter()
///         .map(|m| format!("{}={:?}", m.name(), m.duration().unwrap_or_default()))
///         .collect();
///     // e.g. tracing::info!(method = %done.method(), route = done.route(), status = done.status().as_u16(), ...)
///     format!(
///         "{} {} {} total={:?} sent={} {}",
///         done.method(),
///         done.path(),
///         done.status().as_u16(),
///         done.total(),
///         done.sent(),
///         metrics.join(" "),
///     )
/// };
/// let (tx, rx) = mpsc::channel();
/// let log = move |done: &Completed| tx.send(line(done)).unwrap();
/// let (request, ()) = http::Request::get("/user/7").body(()).unwrap().into_parts();
/// # futures::executor::block_on(async {
/// let response = timed_response(Timings::new(), async {
///     record("db", Duration::from_millis(4));
///     http::Response::new(())
/// })
/// .on_complete(&request, Arc::new(log))
/// .await;
/// assert!(response.headers().contains_key("server-timing"));
/// # });
/// let line = rx.try_recv().unwrap();
/// assert!(line.starts_with("GET /user/7 200 total=") && line.ends_with(" sent=true db=4ms"), "{line}");
/// ```
pub struct Completed<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) route: Option<&'a str>,
    pub(crate) status: StatusCode,
    pub(crate) total: Duration,
    /// The whole-request metric's name as the header writes it, if there is one.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) total_name: Option<&'a str>,
    pub(crate) metrics: &'a [Metric],
    pub(crate) omitted: u32,
    pub(crate) sent: bool,
    pub(crate) aborted: bool,
    pub(crate) trace_parent: Option<&'a TraceParent>,
}

impl fmt::Debug for Completed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Completed")
            .field("method", self.method)
            .field("path", &self.path)
            .field("route", &self.route)
            .field("status", &self.status)
            .field("total", &self.total)
            .field("metrics", &self.metrics)
            .field("omitted", &self.omitted)
            .field("sent", &self.sent)
            .field("aborted", &self.aborted)
            .field("trace_parent", &self.trace_parent)
            .finish()
    }
}

impl<'a> Completed<'a> {
    /// The request's method.
    ///
    /// ```
    /// # use std::sync::{mpsc, Arc};
    /// # use server_timing_runtime::{http::timed_response, Completed, Timings};
    /// # let (request, ()) = http::Request::get("/").body(()).unwrap().into_parts();
    /// let (tx, rx) = mpsc::channel();
    /// let hook = Arc::new(move |done: &Completed| tx.send(done.method().clone()).unwrap());
    /// # let response = timed_response(Timings::new(), async {
    /// #     server_timing_runtime::record("db", std::time::Duration::from_millis(2));
    /// #     http::Response::new(())
    /// # });
    /// # futures::executor::block_on(response.on_complete(&request, hook));
    /// assert_eq!(rx.recv().unwrap(), http::Method::GET);
    /// ```
    pub fn method(&self) -> &'a Method {
        self.method
    }

    /// The request's path, as the client sent it (no query).
    ///
    /// ```
    /// # use std::sync::{mpsc, Arc};
    /// # use server_timing_runtime::{http::timed_response, Completed, Timings};
    /// # let (request, ()) = http::Request::get("/user/7?page=2").body(()).unwrap().into_parts();
    /// let (tx, rx) = mpsc::channel();
    /// let hook = Arc::new(move |done: &Completed| tx.send(done.path().to_owned()).unwrap());
    /// # let response = timed_response(Timings::new(), async {
    /// #     server_timing_runtime::record("db", std::time::Duration::from_millis(2));
    /// #     http::Response::new(())
    /// # });
    /// # futures::executor::block_on(response.on_complete(&request, hook));
    /// assert_eq!(rx.recv().unwrap(), "/user/7");
    /// ```
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The route pattern that matched, where the framework says: actix's `match_pattern()`
    /// (`/user/{id}`), axum's `MatchedPath` (feature `axum`, with the layer added by
    /// `Router::layer` or `route_layer`, which run after routing). `None` otherwise, and
    /// always for the `http` adapter. Unlike [`path`](Self::path) it takes few values: fit
    /// for a metrics label.
    ///
    /// ```
    /// # use std::sync::{mpsc, Arc};
    /// # use server_timing_runtime::{http::timed_response, Completed, Timings};
    /// # let (request, ()) = http::Request::get("/").body(()).unwrap().into_parts();
    /// let (tx, rx) = mpsc::channel();
    /// let hook = Arc::new(move |done: &Completed| tx.send(done.route().map(str::to_owned)).unwrap());
    /// # let response = timed_response(Timings::new(), async {
    /// #     server_timing_runtime::record("db", std::time::Duration::from_millis(2));
    /// #     http::Response::new(())
    /// # });
    /// # futures::executor::block_on(response.on_complete(&request, hook));
    /// assert_eq!(rx.recv().unwrap(), None); // the http adapter knows no routes
    /// ```
    pub fn route(&self) -> Option<&'a str> {
        self.route
    }

    /// The response's status. When no response was made: `500` if the handler panicked (or
    /// returned an error the server turns into one), `499` if the client went away first
    /// (see [`aborted`](Self::aborted)).
    ///
    /// ```
    /// # use std::sync::{mpsc, Arc};
    /// # use server_timing_runtime::{http::timed_response, Completed, Timings};
    /// # let (request, ()) = http::Request::get("/").body(()).unwrap().into_parts();
    /// let (tx, rx) = mpsc::channel();
    /// let hook = Arc::new(move |done: &Completed| tx.send(done.status()).unwrap());
    /// # let response = timed_response(Timings::new(), async {
    /// #     server_timing_runtime::record("db", std::time::Duration::from_millis(2));
    /// #     http::Response::new(())
    /// # });
    /// # futures::executor::block_on(response.on_complete(&request, hook));
    /// assert_eq!(rx.recv().unwrap(), http::StatusCode::OK);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The whole request, from the collector's start to completion: to the body's end where
    /// the adapter sees it (the tower layer), else to the response head. Covers only what ran
    /// when the request was [`aborted`](Self::aborted).
    ///
    /// ```
    /// # use std::sync::{mpsc, Arc};
    /// # use server_timing_runtime::{http::timed_response, Completed, Timings};
    /// # let (request, ()) = http::Request::get("/").body(()).unwrap().into_parts();
    /// let (tx, rx) = mpsc::channel();
    /// let hook = Arc::new(move |done: &Completed| tx.send(done.total()).unwrap());
    /// # let response = timed_response(Timings::new(), async {
    /// #     server_timing_runtime::record("db", std::time::Duration::from_millis(2));
    /// #     http::Response::new(())
    /// # });
    /// # futures::executor::block_on(response.on_complete(&request, hook));
    /// assert!(rx.recv().unwrap() >= std::time::Duration::ZERO);
    /// ```
    pub fn total(&self) -> Duration {
        self.total
    }

    /// Every metric the request recorded, in first-recorded order, after aggregation: those
    /// in the header, and those the header budget left out. `total` is not among them (see
    /// [`total`](Self::total)).
    ///
    /// ```
    /// # use std::sync::{mpsc, Arc};
    /// # use server_timing_runtime::{http::timed_response, Completed, Timings};
    /// # let (request, ()) = http::Request::get("/").body(()).unwrap().into_parts();
    /// let (tx, rx) = mpsc::channel();
    /// let hook = Arc::new(move |done: &Completed| tx.send(done.metrics().to_vec()).unwrap());
    /// # let response = timed_response(Timings::new(), async {
    /// #     server_timing_runtime::record("db", std::time::Duration::from_millis(2));
    /// #     http::Response::new(())
    /// # });
    /// # futures::executor::block_on(response.on_complete(&request, hook));
    /// let metrics = rx.recv().unwrap();
    /// assert_eq!(metrics[0].name(), "db");
    /// assert_eq!(metrics[0].duration(), Some(std::time::Duration::from_millis(2)));
    /// ```
    pub fn metrics(&self) -> &'a [Metric] {
        self.metrics
    }

    /// Recordings not kept because [`Options::max_metrics`](crate::Options::max_metrics) was
    /// reached.
    ///
    /// ```
    /// # use std::sync::{mpsc, Arc};
    /// # use server_timing_runtime::{http::timed_response, Completed, Timings};
    /// # let (request, ()) = http::Request::get("/").body(()).unwrap().into_parts();
    /// let (tx, rx) = mpsc::channel();
    /// let hook = Arc::new(move |done: &Completed| tx.send(done.omitted()).unwrap());
    /// # let response = timed_response(Timings::new(), async {
    /// #     server_timing_runtime::record("db", std::time::Duration::from_millis(2));
    /// #     http::Response::new(())
    /// # });
    /// # futures::executor::block_on(response.on_complete(&request, hook));
    /// assert_eq!(rx.recv().unwrap(), 0);
    /// ```
    pub fn omitted(&self) -> u32 {
        self.omitted
    }

    /// Whether the response carried a `Server-Timing` field (or trailer) from these metrics:
    /// `false` where `send_when` said no, or the request was aborted before it was written.
    ///
    /// ```
    /// # use std::sync::{mpsc, Arc};
    /// # use server_timing_runtime::{http::timed_response, Completed, Timings};
    /// # let (request, ()) = http::Request::get("/").body(()).unwrap().into_parts();
    /// let (tx, rx) = mpsc::channel();
    /// let hook = Arc::new(move |done: &Completed| tx.send(done.sent()).unwrap());
    /// # let response = timed_response(Timings::new(), async {
    /// #     server_timing_runtime::record("db", std::time::Duration::from_millis(2));
    /// #     http::Response::new(())
    /// # });
    /// # futures::executor::block_on(response.on_complete(&request, hook));
    /// assert!(rx.recv().unwrap());
    /// ```
    pub fn sent(&self) -> bool {
        self.sent
    }

    /// Whether the request ended before its response did: the client went away (its future
    /// or body was dropped), the handler panicked, or the body failed.
    /// [`total`](Self::total) and [`metrics`](Self::metrics) then cover what ran, futures cut
    /// short included (marked as such in their metric).
    ///
    /// ```
    /// # use std::sync::{mpsc, Arc};
    /// # use server_timing_runtime::{http::timed_response, Completed, Timings};
    /// # let (request, ()) = http::Request::get("/").body(()).unwrap().into_parts();
    /// let (tx, rx) = mpsc::channel();
    /// let hook = Arc::new(move |done: &Completed| tx.send(done.aborted()).unwrap());
    /// # let response = timed_response(Timings::new(), async {
    /// #     server_timing_runtime::record("db", std::time::Duration::from_millis(2));
    /// #     http::Response::new(())
    /// # });
    /// # futures::executor::block_on(response.on_complete(&request, hook));
    /// assert!(!rx.recv().unwrap());
    /// ```
    pub fn aborted(&self) -> bool {
        self.aborted
    }

    /// The trace this request's header names, with [`Options::trace_context`](crate::Options::trace_context)
    /// on (else `None`): what joins a log line to the browser's RUM data and the backend trace.
    /// It is the request's also where its header was not sent.
    ///
    /// ```
    /// # use std::sync::{mpsc, Arc};
    /// # use server_timing_runtime::{http::timed_response, Completed, Options, Timings};
    /// # let (request, ()) = http::Request::get("/").body(()).unwrap().into_parts();
    /// let (tx, rx) = mpsc::channel();
    /// let hook = Arc::new(move |done: &Completed| tx.send(done.trace_parent().copied()).unwrap());
    /// let timings = Timings::with_options(Options::new().trace_context(true));
    /// let expected = timings.trace_parent();
    /// # let response = timed_response(timings, async { http::Response::new(()) });
    /// # futures::executor::block_on(response.on_complete(&request, hook));
    /// assert_eq!(rx.recv().unwrap(), expected);
    /// assert!(expected.is_some());
    /// ```
    pub fn trace_parent(&self) -> Option<&'a TraceParent> {
        self.trace_parent
    }
}
