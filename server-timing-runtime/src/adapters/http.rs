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
use std::task::{Context, Poll};

use http::HeaderMap;
use pin_project_lite::pin_project;

use crate::collector::timings::{ReadAfter, Scope, Timings};

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
}

impl<B> ResponseHeaders for http::Response<B> {
    fn response_headers_mut(&mut self) -> Option<&mut HeaderMap> {
        Some(self.headers_mut())
    }
}

impl ResponseHeaders for http::response::Parts {
    fn response_headers_mut(&mut self) -> Option<&mut HeaderMap> {
        Some(&mut self.headers)
    }
}

impl<T: ResponseHeaders, E> ResponseHeaders for Result<T, E> {
    fn response_headers_mut(&mut self) -> Option<&mut HeaderMap> {
        self.as_mut().ok()?.response_headers_mut()
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
    }
}

impl<F> Future for TimedResponse<F>
where
    F: Future,
    F::Output: ResponseHeaders,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().scope.poll_then(cx, |mut output, timings| {
            if let (Some(timings), Some(headers)) = (timings, output.response_headers_mut()) {
                timings.append(headers, ReadAfter::No);
            }
            output
        })
    }
}
