//! A [tower] layer for axum, hyper and any other stack of `http` services.
//!
//! With axum: `Router::new().route(..).layer(ServerTimingLayer::default())`. With bare hyper,
//! layer a service and hand it to hyper-util's `TowerToHyperService`.
//!
//! Every request gets its own [`Timings`], current while the inner service is called and while
//! its response future is polled; the `Server-Timing` field (with `total`) is appended to the
//! response. With [`trailers`](ServerTimingLayer::trailers) on, a streamed response to a client
//! that accepts trailers gets its metrics in a trailer instead, measured to the body's end.
//!
//! ```
//! # use std::convert::Infallible;
//! # use std::future::{ready, Ready};
//! # use std::task::{Context, Poll};
//! use http::{Request, Response};
//! use server_timing_runtime::tower::ServerTimingLayer;
//! use tower_layer::Layer;
//! use tower_service::Service;
//!
//! #[derive(Clone)]
//! struct Hello;
//!
//! impl Service<Request<String>> for Hello {
//!     type Response = Response<String>;
//!     type Error = Infallible;
//!     type Future = Ready<Result<Response<String>, Infallible>>;
//!
//!     fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
//!         Poll::Ready(Ok(()))
//!     }
//!
//!     fn call(&mut self, _: Request<String>) -> Self::Future {
//!         server_timing_runtime::describe("greeting", "hello");
//!         ready(Ok(Response::new("hi".to_owned())))
//!     }
//! }
//!
//! let mut service = ServerTimingLayer::new().precision(1).layer(Hello);
//! let response = futures::executor::block_on(service.call(Request::new(String::new()))).unwrap();
//! let value = response.headers()["server-timing"].to_str().unwrap();
//! assert!(value.starts_with("total;dur="));
//! assert!(value.ends_with(", greeting;desc=hello"));
//! ```
//!
//! [tower]: https://docs.rs/tower

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use http::header::{CACHE_CONTROL, CONTENT_LENGTH, TE, TRAILER};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Version};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::collector::timings::{ReadAfter, Scope, Timings};
use crate::options::Options;
use crate::SERVER_TIMING;

type Predicate = Arc<dyn Fn(&Parts) -> bool + Send + Sync>;

/// Adds per-request Server-Timing to a tower service: a [`Timings`] scope around the inner
/// service, `total`, and the appended `Server-Timing` field.
///
/// Offers the same options as `actix::ServerTiming` (see [`Options`]), a per-request
/// [`when`](Self::when) predicate, and [`trailers`](Self::trailers) for streamed bodies.
///
/// ```
/// use server_timing_runtime::tower::ServerTimingLayer;
///
/// let layer = ServerTimingLayer::new()
///     .precision(1)
///     .timing_allow_origin(http::HeaderValue::from_static("https://app.example.com"))
///     .when(|head| head.uri.path() != "/health")
///     .trailers(true);
/// # let _ = layer;
/// ```
#[derive(Clone, Default)]
pub struct ServerTimingLayer {
    options: Options,
    when: Option<Predicate>,
    trailers: bool,
}

impl fmt::Debug for ServerTimingLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTimingLayer")
            .field("options", &self.options)
            .field("when", &self.when.as_ref().map(|_| "Fn(&Parts) -> bool"))
            .field("trailers", &self.trailers)
            .finish()
    }
}

impl ServerTimingLayer {
    /// The default layer: default [`Options`], every request timed, metrics in a header.
    ///
    /// ```
    /// let layer = server_timing_runtime::tower::ServerTimingLayer::new();
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    crate::options::forward_options!("server_timing_runtime::tower::ServerTimingLayer::new()");

    /// Time only the requests for which `predicate` returns `true`. The others run with no
    /// collector in scope (recording in them costs next to nothing) and get no header.
    ///
    /// The predicate sees the request head, whatever the body type.
    ///
    /// ```
    /// use server_timing_runtime::tower::ServerTimingLayer;
    ///
    /// // Only for callers that asked for it.
    /// let layer = ServerTimingLayer::new().when(|head| head.headers.contains_key("x-debug-timing"));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn when<P>(mut self, predicate: P) -> Self
    where
        P: Fn(&Parts) -> bool + Send + Sync + 'static,
    {
        self.when = Some(Arc::new(predicate));
        self
    }

    /// Send the metrics in a `Server-Timing` trailer when the body is streamed (off by default).
    ///
    /// Applies when the request says `TE: trailers` over HTTP/1.1 or later, and the response
    /// body has no known length: the response announces `Trailer: Server-Timing`, and after the
    /// body's last frame a trailer carries `total` measured to the end of the body and every
    /// metric recorded until then, including while the body streamed (its polls run with the
    /// request's collector current). Trailers the body sends itself are kept, with the field
    /// added to them. Any other response gets the header as usual.
    ///
    /// Turn it on only for clients known to read `Server-Timing` trailers: a client that
    /// sends `TE: trailers` but reads timings from the head only sees none.
    ///
    /// ```
    /// let layer = server_timing_runtime::tower::ServerTimingLayer::new().trailers(true);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn trailers(mut self, enabled: bool) -> Self {
        self.trailers = enabled;
        self
    }
}

impl<S> tower_layer::Layer<S> for ServerTimingLayer {
    type Service = ServerTimingService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ServerTimingService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`ServerTimingLayer`] wraps around an inner service.
///
/// ```
/// # use std::convert::Infallible;
/// # use std::future::{ready, Ready};
/// # use std::task::{Context, Poll};
/// # use http::{Request, Response};
/// # use tower_service::Service;
/// # #[derive(Clone)]
/// # struct Hello;
/// # impl Service<Request<String>> for Hello {
/// #     type Response = Response<String>;
/// #     type Error = Infallible;
/// #     type Future = Ready<Result<Response<String>, Infallible>>;
/// #     fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> { Poll::Ready(Ok(())) }
/// #     fn call(&mut self, _: Request<String>) -> Self::Future { ready(Ok(Response::new(String::new()))) }
/// # }
/// use server_timing_runtime::tower::{ServerTimingLayer, ServerTimingService};
/// use tower_layer::Layer;
///
/// let service: ServerTimingService<Hello> = ServerTimingLayer::new().layer(Hello);
/// # let _ = service;
/// ```
#[derive(Clone, Debug)]
pub struct ServerTimingService<S> {
    inner: S,
    layer: ServerTimingLayer,
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for ServerTimingService<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body,
{
    type Response = Response<ServerTimingBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let request = match &self.layer.when {
            Some(when) => {
                let (parts, body) = request.into_parts();
                let timed = when(&parts);
                let request = Request::from_parts(parts, body);
                if !timed {
                    return ResponseFuture {
                        kind: Kind::Untimed {
                            future: self.inner.call(request),
                        },
                    };
                }
                request
            }
            None => request,
        };
        let trailers = self.layer.trailers && accepts_trailers(&request);
        let timings = Timings::for_request(self.layer.options.clone(), request.headers());
        // Routers do work in `call` (axum matches the route there), so that is timed too.
        let future = timings.sync_scope(|| self.inner.call(request));
        ResponseFuture {
            kind: Kind::Timed {
                scope: Scope::new(Some(timings), future),
                trailers,
            },
        }
    }
}

pin_project! {
    /// The response future of [`ServerTimingService`]: polls the inner service's future with
    /// the request's collector current, then writes the metrics into the response.
    ///
    /// ```
    /// # use std::convert::Infallible;
    /// # use std::future::{ready, Ready};
    /// # use std::task::{Context, Poll};
    /// # use http::{Request, Response};
    /// # use tower_service::Service;
    /// # #[derive(Clone)]
    /// # struct Hello;
    /// # impl Service<Request<String>> for Hello {
    /// #     type Response = Response<String>;
    /// #     type Error = Infallible;
    /// #     type Future = Ready<Result<Response<String>, Infallible>>;
    /// #     fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> { Poll::Ready(Ok(())) }
    /// #     fn call(&mut self, _: Request<String>) -> Self::Future { ready(Ok(Response::new(String::new()))) }
    /// # }
    /// use server_timing_runtime::tower::{ResponseFuture, ServerTimingLayer};
    /// use tower_layer::Layer;
    ///
    /// let mut service = ServerTimingLayer::new().layer(Hello);
    /// let future: ResponseFuture<_> = service.call(Request::new(String::new()));
    /// let response = futures::executor::block_on(future).unwrap();
    /// assert!(response.headers().contains_key("server-timing"));
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Timed {
            #[pin]
            scope: Scope<F>,
            // The layer allows trailers and the request accepts them.
            trailers: bool,
        },
        // The predicate said no.
        Untimed {
            #[pin]
            future: F,
        },
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body,
{
    type Output = Result<Response<ServerTimingBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (scope, trailers) = match self.project().kind.project() {
            KindProj::Untimed { future } => {
                let response = ready!(future.poll(cx))?;
                return Poll::Ready(Ok(response.map(ServerTimingBody::untimed)));
            }
            KindProj::Timed { scope, trailers } => (scope, *trailers),
        };
        scope.poll_then(cx, |result, timings| {
            let mut response = result?;
            let Some(timings) = timings else {
                return Ok(response.map(ServerTimingBody::untimed));
            };
            if trailers && body_streams(&response) {
                timings.apply_cache_rule(|| {
                    response
                        .headers()
                        .get_all(CACHE_CONTROL)
                        .iter()
                        .map(HeaderValue::as_bytes)
                });
                announce_trailer(response.headers_mut(), timings.options());
                let timings = timings.clone();
                return Ok(response.map(|body| ServerTimingBody::with_trailer(body, timings)));
            }
            timings.append(response.headers_mut(), ReadAfter::No);
            Ok(response.map(ServerTimingBody::untimed))
        })
    }
}

/// Whether the client can take trailers on this request's response: `TE: trailers`, on a
/// protocol with a chunked or framed body, and a method whose response has a body.
fn accepts_trailers<B>(request: &Request<B>) -> bool {
    request.version() >= Version::HTTP_11
        && request.method() != Method::HEAD
        && request
            .headers()
            .get_all(TE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|coding| {
                coding
                    .split(';')
                    .next()
                    .is_some_and(|name| name.trim().eq_ignore_ascii_case("trailers"))
            })
}

/// Whether the response body goes out chunked (HTTP/1.1) or in frames of unknown total
/// (HTTP/2): only then can a trailer follow it.
fn body_streams<B: Body>(response: &Response<B>) -> bool {
    let status = response.status();
    let bodiless =
        status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED;
    let known_length = response.headers().contains_key(CONTENT_LENGTH)
        || response.body().is_end_stream()
        || response.body().size_hint().exact().is_some();
    !bodiless && !known_length
}

fn announce_trailer(headers: &mut HeaderMap, options: &Options) {
    headers.append(TRAILER, HeaderValue::from_static("server-timing"));
    // Browsers read `Timing-Allow-Origin` from the response head, never from trailers.
    options.append_allow_origins(headers);
}

pin_project! {
    /// The response body of [`ServerTimingService`]: the inner body as is, or, when the metrics
    /// go in a trailer, the inner body polled with the request's collector current and followed
    /// by the `Server-Timing` trailer.
    ///
    /// ```
    /// # use std::convert::Infallible;
    /// # use std::future::{ready, Ready};
    /// # use std::task::{Context, Poll};
    /// # use http::{Request, Response};
    /// # use tower_service::Service;
    /// # #[derive(Clone)]
    /// # struct Hello;
    /// # impl Service<Request<String>> for Hello {
    /// #     type Response = Response<String>;
    /// #     type Error = Infallible;
    /// #     type Future = Ready<Result<Response<String>, Infallible>>;
    /// #     fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> { Poll::Ready(Ok(())) }
    /// #     fn call(&mut self, _: Request<String>) -> Self::Future { ready(Ok(Response::new("hi".to_owned()))) }
    /// # }
    /// use http_body::Body;
    /// use server_timing_runtime::tower::{ServerTimingBody, ServerTimingLayer};
    /// use tower_layer::Layer;
    ///
    /// let mut service = ServerTimingLayer::new().trailers(true).layer(Hello);
    /// let response = futures::executor::block_on(service.call(Request::new(String::new()))).unwrap();
    /// let body: &ServerTimingBody<String> = response.body();
    /// // No `TE: trailers` and a body of known length: the metrics are in the header.
    /// assert_eq!(body.size_hint().exact(), Some(2));
    /// assert!(response.headers().contains_key("server-timing"));
    /// ```
    pub struct ServerTimingBody<B> {
        #[pin]
        inner: B,
        trailer: Trailer,
    }
}

enum Trailer {
    None,
    Pending(Timings),
    Sent,
}

impl<B> ServerTimingBody<B> {
    fn untimed(inner: B) -> Self {
        ServerTimingBody {
            inner,
            trailer: Trailer::None,
        }
    }

    fn with_trailer(inner: B, timings: Timings) -> Self {
        ServerTimingBody {
            inner,
            trailer: Trailer::Pending(timings),
        }
    }
}

impl<B: fmt::Debug> fmt::Debug for ServerTimingBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTimingBody")
            .field("inner", &self.inner)
            .field("trailer_pending", &matches!(self.trailer, Trailer::Pending(_)))
            .finish()
    }
}

impl<B: Body> Body for ServerTimingBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let inner = this.inner;
        let polled = match &*this.trailer {
            Trailer::None => return inner.poll_frame(cx),
            Trailer::Sent => return Poll::Ready(None),
            Trailer::Pending(timings) => ready!(timings.sync_scope(|| inner.poll_frame(cx))),
        };
        match polled {
            Some(Ok(mut frame)) => {
                if let Some(trailers) = frame.trailers_mut() {
                    if let Trailer::Pending(timings) = std::mem::replace(this.trailer, Trailer::Sent) {
                        append_finished(trailers, &timings);
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(error)) => {
                // A failed body sends no trailers; leave the inner body to say what follows.
                *this.trailer = Trailer::None;
                Poll::Ready(Some(Err(error)))
            }
            None => {
                let Trailer::Pending(timings) = std::mem::replace(this.trailer, Trailer::Sent) else {
                    return Poll::Ready(None);
                };
                let mut trailers = HeaderMap::with_capacity(1);
                if append_finished(&mut trailers, &timings) {
                    Poll::Ready(Some(Ok(Frame::trailers(trailers))))
                } else {
                    Poll::Ready(None)
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self.trailer {
            Trailer::None => self.inner.is_end_stream(),
            Trailer::Pending(_) => false,
            Trailer::Sent => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.trailer {
            Trailer::None | Trailer::Pending(_) => self.inner.size_hint(),
            Trailer::Sent => SizeHint::with_exact(0),
        }
    }
}

/// Close `timings` and append its value to `trailers`; `Timing-Allow-Origin` was sent in the
/// head already.
fn append_finished(trailers: &mut HeaderMap, timings: &Timings) -> bool {
    match timings.finish() {
        Some(value) => {
            trailers.append(SERVER_TIMING, value);
            true
        }
        None => false,
    }
}
