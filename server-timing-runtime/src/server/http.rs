//! Server-Timing for any stack built on the [`http`] types, without middleware.
//!
//! Wrap the future that produces a request's response in [`timed_response`]: everything it
//! records lands in one collector, and the `Server-Timing` field is appended to the response
//! when the future resolves.
//!
//! ```
//! use std::time::Duration;
//! use http::Response;
//! use server_timing_runtime::http::timed_response;
//! use server_timing_runtime::{record, Timings};
//!
//! # futures::executor::block_on(async {
//! let response = timed_response(Timings::new(), async {
//!     record("db", Duration::from_millis(4));
//!     Response::new("hello")
//! })
//! .await;
//! let value = response.headers()["server-timing"].to_str().unwrap();
//! assert!(value.starts_with("total;dur="));
//! assert!(value.ends_with(", db;dur=4"));
//! # });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::request::Parts;
use http::{HeaderMap, StatusCode};
use pin_project_lite::pin_project;

use crate::collector::scope::Scope;
use crate::collector::timings::Timings;
use crate::export::completed::Completed;
use crate::export::hook::{Path, Pending};
use crate::server::exchange::Exchange;

/// A value that may carry response headers: what [`timed_response`] appends the
/// `Server-Timing` field to.
///
/// Implemented for [`http::Response`], [`http::response::Parts`], and `Result`s of them (an
/// `Err` gets no header).
///
/// ```
/// use server_timing_runtime::http::ResponseHeaders;
///
/// let mut response: Result<http::Response<()>, std::io::Error> = Ok(http::Response::new(()));
/// assert!(response.response_headers_mut().is_some());
/// ```
pub trait ResponseHeaders {
    /// The headers to append to, if this value is a response.
    ///
    /// ```
    /// use server_timing_runtime::http::ResponseHeaders;
    ///
    /// let mut failed: Result<http::Response<()>, ()> = Err(());
    /// assert!(failed.response_headers_mut().is_none());
    /// ```
    fn response_headers_mut(&mut self) -> Option<&mut HeaderMap>;

    /// The response's status, for [`Completed::status`](crate::Completed::status); `None`
    /// (the default) is reported as `500`, as for an `Err`.
    ///
    /// ```
    /// use server_timing_runtime::http::ResponseHeaders;
    ///
    /// let response = http::Response::builder().status(404).body(()).unwrap();
    /// assert_eq!(response.response_status(), Some(http::StatusCode::NOT_FOUND));
    /// ```
    fn response_status(&self) -> Option<StatusCode> {
        None
    }
}

impl<B> ResponseHeaders for http::Response<B> {
    fn response_headers_mut(&mut self) -> Option<&mut HeaderMap> {
        Some(self.headers_mut())
    }

    fn response_status(&self) -> Option<StatusCode> {
        Some(self.status())
    }
}

impl ResponseHeaders for http::response::Parts {
    fn response_headers_mut(&mut self) -> Option<&mut HeaderMap> {
        Some(&mut self.headers)
    }

    fn response_status(&self) -> Option<StatusCode> {
        Some(self.status)
    }
}

impl<T: ResponseHeaders, E> ResponseHeaders for Result<T, E> {
    fn response_headers_mut(&mut self) -> Option<&mut HeaderMap> {
        self.as_mut().ok()?.response_headers_mut()
    }

    fn response_status(&self) -> Option<StatusCode> {
        self.as_ref().ok()?.response_status()
    }
}

/// Run `future` with `timings` current on every poll, then
/// [append](Timings::append_to) the `Server-Timing` field (and any configured
/// `Timing-Allow-Origin`) to the response it returns.
///
/// Make `timings` when the request arrives: its `total` runs from then. Make it with
/// [`Timings::for_request`] for [trace context](crate::Options::trace_context) to continue
/// the request's `traceparent`. Fields already on the response are kept.
///
/// ```
/// use http::{HeaderValue, Response};
/// use server_timing_runtime::http::timed_response;
/// use server_timing_runtime::{describe, Options, Timings};
///
/// # futures::executor::block_on(async {
/// let timings = Timings::with_options(Options::new().no_total());
/// let response: Result<Response<()>, std::io::Error> = timed_response(timings, async {
///     describe("cache", "hit");
///     let mut response = Response::new(());
///     response.headers_mut().append("server-timing", HeaderValue::from_static("app;dur=1"));
///     Ok(response)
/// })
/// .await;
/// let fields: Vec<_> = response.unwrap().headers().get_all("server-timing").iter().cloned().collect();
/// assert_eq!(fields, ["app;dur=1", "cache;desc=hit"]);
/// # });
/// ```
pub fn timed_response<F>(timings: Timings, future: F) -> TimedResponse<F>
where
    F: Future,
    F::Output: ResponseHeaders,
{
    TimedResponse {
        scope: timings.scope(future),
        exchange: Exchange::new(true, None),
    }
}

pin_project! {
    /// A response future run inside a collector's scope; its response gets the
    /// `Server-Timing` field. Made by [`timed_response`].
    ///
    /// ```
    /// use server_timing_runtime::http::{timed_response, TimedResponse};
    /// use server_timing_runtime::Timings;
    ///
    /// let future: TimedResponse<_> = timed_response(Timings::new(), async { http::Response::new(()) });
    /// let response = futures::executor::block_on(future);
    /// assert!(response.headers().contains_key("server-timing"));
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct TimedResponse<F> {
        #[pin]
        scope: Scope<F>,
        // After `scope`: dropped after it, so a request cut short reports what its dropped
        // futures recorded.
        exchange: Exchange,
    }
}

impl<F> TimedResponse<F> {
    /// Call `hook` once the response is ready (this adapter never sees the body), with the
    /// request's method and path from `request`, its status and every metric; also when the
    /// future is dropped before (then [`aborted`](crate::Completed::aborted)). Make `hook`
    /// once and clone it per request. A panic in `hook` is contained (see `Completed`).
    ///
    /// ```
    /// use std::sync::{mpsc, Arc};
    /// use server_timing_runtime::http::timed_response;
    /// use server_timing_runtime::{Completed, Timings};
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let hook: Arc<dyn Fn(&Completed) + Send + Sync> =
    ///     Arc::new(move |done: &Completed| tx.send((done.path().to_owned(), done.status())).unwrap());
    /// let (request, ()) = http::Request::get("/report").body(()).unwrap().into_parts();
    /// let response = timed_response(Timings::new(), async { http::Response::new(()) })
    ///     .on_complete(&request, hook.clone());
    /// futures::executor::block_on(response);
    /// assert_eq!(rx.recv().unwrap(), ("/report".to_owned(), http::StatusCode::OK));
    /// ```
    pub fn on_complete(mut self, request: &Parts, hook: Arc<dyn Fn(&Completed<'_>) + Send + Sync>) -> Self {
        if let Some(timings) = self.scope.timings() {
            let path = Path::Uri(request.uri.clone());
            self.exchange
                .wait(Pending::new(hook, timings.clone(), request.method.clone(), path));
        }
        self
    }

    /// Whether the response gets the `Server-Timing` field (default `true`): the caller
    /// decides from its own request, e.g. staff only. The metrics are collected either way
    /// and handed to [`on_complete`](Self::on_complete).
    ///
    /// ```
    /// use server_timing_runtime::http::timed_response;
    /// use server_timing_runtime::Timings;
    ///
    /// let staff = false;
    /// let response = timed_response(Timings::new(), async { http::Response::new(()) }).send_when(staff);
    /// let response = futures::executor::block_on(response);
    /// assert!(!response.headers().contains_key("server-timing"));
    /// ```
    pub fn send_when(mut self, send: bool) -> Self {
        self.exchange.send_when(send);
        self
    }
}

impl<F> Future for TimedResponse<F>
where
    F: Future,
    F::Output: ResponseHeaders,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let exchange = this.exchange;
        let mut output = ready!(exchange.poll(this.scope.as_mut(), cx));
        let timings = this.scope.timings();
        let status = output
            .response_status()
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let sent = match output.response_headers_mut() {
            Some(headers) => exchange
                .sending(timings, headers)
                .is_some_and(|timings| timings.append(headers)),
            None => false,
        };
        if let Some(mut done) = exchange.respond(status, sent) {
            // This adapter never sees the body: the request ends with its head.
            done.finish(false);
        }
        Poll::Ready(output)
    }
}
