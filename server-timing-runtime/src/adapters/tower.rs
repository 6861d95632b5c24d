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

use crate::adapters::completed::{Hook, Path, Pending};
use crate::collector::timings::{ReadAfter, Scope, Timings};
use crate::options::Options;
use crate::{Completed, SERVER_TIMING};

// The client side: outgoing calls timed and their metrics merged.
mod downstream;
pub use downstream::{DownstreamFuture, DownstreamLayer, DownstreamService};

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
    send_when: Option<Predicate>,
    on_complete: Option<Hook>,
}

impl fmt::Debug for ServerTimingLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTimingLayer")
            .field("options", &self.options)
            .field("when", &self.when.as_ref().map(|_| "Fn(&Parts) -> bool"))
            .field("trailers", &self.trailers)
            .field(
                "send_when",
                &self.send_when.as_ref().map(|_| "Fn(&Parts) -> bool"),
            )
            .field(
                "on_complete",
                &self.on_complete.as_ref().map(|_| "Fn(&Completed)"),
            )
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

    /// Send the metrics (header or trailer, and `Timing-Allow-Origin`) only for requests for
    /// which `predicate` returns `true`; the others are still collected (as
    /// [`when`](Self::when) says) and handed to [`on_complete`](Self::on_complete). So:
    /// collect for everyone, send to staff. A second call replaces the first predicate.
    ///
    /// ```
    /// use server_timing_runtime::tower::ServerTimingLayer;
    ///
    /// let layer = ServerTimingLayer::new()
    ///     .send_when(|head| head.headers.contains_key("x-staff"))
    ///     .on_complete(|done| println!("{} {:?}", done.path(), done.total()));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn send_when<P>(mut self, predicate: P) -> Self
    where
        P: Fn(&Parts) -> bool + Send + Sync + 'static,
    {
        self.send_when = Some(Arc::new(predicate));
        self
    }

    /// Call `hook` once per timed request, after its response body has ended (or failed, or
    /// was dropped because the client went away: see
    /// [`Completed::aborted`](crate::Completed::aborted)), whether the metrics were sent or
    /// not. Requests that [`when`](Self::when) leaves out are not timed and do not reach it.
    /// With feature `axum` and the layer added by `Router::layer`, the
    /// [route](crate::Completed::route) is axum's `MatchedPath`.
    ///
    /// It runs on the thread that ends the body, inside the server's task: keep it short (a
    /// log line, a metrics update) and hand slow work to a channel. A panic in it is contained
    /// (see `Completed`). A second call replaces the first hook.
    ///
    /// ```
    /// use server_timing_runtime::tower::ServerTimingLayer;
    ///
    /// let layer = ServerTimingLayer::new().on_complete(|done| {
    ///     let db = done.metrics().iter().find(|m| m.name() == "db").and_then(|m| m.duration());
    ///     println!("{} {} {:?} db={db:?}", done.method(), done.status(), done.total());
    /// });
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn on_complete<H>(mut self, hook: H) -> Self
    where
        H: Fn(&Completed<'_>) + Send + Sync + 'static,
    {
        self.on_complete = Some(Arc::new(hook));
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
        let mut send = true;
        let request = if self.layer.when.is_some() || self.layer.send_when.is_some() {
            let (parts, body) = request.into_parts();
            let timed = self.layer.when.as_ref().map_or(true, |when| when(&parts));
            if timed {
                send = self
                    .layer
                    .send_when
                    .as_ref()
                    .map_or(true, |send_when| send_when(&parts));
            }
            let request = Request::from_parts(parts, body);
            if !timed {
                return ResponseFuture {
                    kind: Kind::Untimed {
                        future: self.inner.call(request),
                    },
                };
            }
            request
        } else {
            request
        };
        let trailers = send && self.layer.trailers && accepts_trailers(&request);
        let timings = Timings::for_request(self.layer.options.clone(), request.headers());
        let done = self.layer.on_complete.as_ref().map(|hook| {
            let mut done = Pending::new(
                hook.clone(),
                timings.clone(),
                request.method().clone(),
                Path::Uri(request.uri().clone()),
            );
            done.set_route(route(&request));
            done
        });
        // Routers do work in `call` (axum matches the route there), so that is timed too.
        let future = timings.sync_scope(|| self.inner.call(request));
        ResponseFuture {
            kind: Kind::Timed {
                scope: Scope::new(Some(timings), future),
                trailers,
                send,
                done,
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
            // `send_when` holds.
            send: bool,
            // After `scope`: dropped after it, so a request cut short reports what its
            // dropped futures recorded.
            done: Option<Box<Pending>>,
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
        let (scope, trailers, send, done) = match self.project().kind.project() {
            KindProj::Untimed { future } => {
                let response = ready!(future.poll(cx))?;
                return Poll::Ready(Ok(response.map(ServerTimingBody::untimed)));
            }
            KindProj::Timed {
                scope,
                trailers,
                send,
                done,
            } => (scope, *trailers, *send, done),
        };
        if done.is_some() {
            return poll_completing(scope, cx, trailers, send, done);
        }
        scope.poll_then(cx, |result, timings| {
            let mut response = result?;
            let Some(timings) = timings.filter(|_| send) else {
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

/// [`ResponseFuture::poll`] with an `on_complete` hook: the hook goes with the body, or runs
/// now when there is no response.
fn poll_completing<F, B, E>(
    scope: Pin<&mut Scope<F>>,
    cx: &mut Context<'_>,
    trailers: bool,
    send: bool,
    done: &mut Option<Box<Pending>>,
) -> Poll<Result<Response<ServerTimingBody<B>>, E>>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body,
{
    if let Some(done) = done.as_mut() {
        done.polling(true);
    }
    let polled = scope.poll_then(cx, |result, timings| {
        let mut response = result?;
        let (Some(timings), true) = (timings, send) else {
            return Ok((response.map(ServerTimingBody::untimed), false));
        };
        if trailers && body_streams(&response) {
            announce_trailer(response.headers_mut(), timings.options());
            let timings = timings.clone();
            return Ok((
                response.map(|body| ServerTimingBody::with_trailer(body, timings)),
                false,
            ));
        }
        let sent = timings.append(response.headers_mut(), ReadAfter::Yes);
        Ok((response.map(ServerTimingBody::untimed), sent))
    });
    if let Some(done) = done.as_mut() {
        done.polling(false);
    }
    let polled = ready!(polled);
    let Some(mut pending) = done.take() else {
        // Polled again after it was ready: whatever the inner future says, without a hook.
        return Poll::Ready(polled.map(|(response, _)| response));
    };
    match polled {
        Ok((mut response, sent)) => {
            pending.respond(response.status(), sent);
            // A body the server will not poll (empty, or not owed) ends with the head.
            if response.body().is_end_stream() || !pending.expects_body() {
                pending.finish(false);
            } else {
                response.body_mut().done = Some(pending);
            }
            Poll::Ready(Ok(response))
        }
        Err(error) => {
            // No response: the server drops the connection.
            pending.respond(StatusCode::INTERNAL_SERVER_ERROR, false);
            pending.finish(true);
            Poll::Ready(Err(error))
        }
    }
}

/// The route pattern the router matched, where it says (axum's `MatchedPath`, present when
/// this layer runs after routing).
fn route<B>(request: &Request<B>) -> Option<String> {
    #[cfg(feature = "axum")]
    {
        request
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map(|matched| matched.as_str().to_owned())
    }
    #[cfg(not(feature = "axum"))]
    {
        let _ = request;
        None
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
        // The `on_complete` hook, run at the body's end; dropped unrun (after `inner`), it
        // reports the request as aborted.
        done: Option<Box<Pending>>,
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
            done: None,
        }
    }

    fn with_trailer(inner: B, timings: Timings) -> Self {
        ServerTimingBody {
            inner,
            trailer: Trailer::Pending(timings),
            done: None,
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
        let Some(done) = this.done.as_mut() else {
            return poll_frame(this.inner, this.trailer, cx, None);
        };
        let mut inner = this.inner;
        let polled = ready!(poll_frame(inner.as_mut(), this.trailer, cx, Some(done)));
        let ended = match &polled {
            None => Some(false),
            Some(Err(_)) => Some(true),
            Some(Ok(frame)) if frame.is_trailers() => Some(false),
            // The server stops polling once the body says it is over.
            Some(Ok(_)) if !matches!(this.trailer, Trailer::Pending(_)) && inner.is_end_stream() => {
                Some(false)
            }
            Some(Ok(_)) => None,
        };
        if let Some(aborted) = ended {
            if let Some(mut done) = this.done.take() {
                done.finish(aborted);
            }
        }
        Poll::Ready(polled)
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

type PolledFrame<B> = Poll<Option<Result<Frame<<B as Body>::Data>, <B as Body>::Error>>>;

/// The next frame of `inner`, the metrics trailer after it when `trailer` is pending; `done`
/// learns whether that trailer was sent.
fn poll_frame<B: Body>(
    inner: Pin<&mut B>,
    trailer: &mut Trailer,
    cx: &mut Context<'_>,
    mut done: Option<&mut Box<Pending>>,
) -> PolledFrame<B> {
    let polled = match &*trailer {
        Trailer::None => return inner.poll_frame(cx),
        Trailer::Sent => return Poll::Ready(None),
        Trailer::Pending(timings) => ready!(timings.sync_scope(|| inner.poll_frame(cx))),
    };
    match polled {
        Some(Ok(mut frame)) => {
            if let Some(trailers) = frame.trailers_mut() {
                if let Trailer::Pending(timings) = std::mem::replace(trailer, Trailer::Sent) {
                    if append_finished(trailers, &timings) {
                        if let Some(done) = done.as_mut() {
                            done.sent_in_trailer();
                        }
                    }
                }
            }
            Poll::Ready(Some(Ok(frame)))
        }
        Some(Err(error)) => {
            // A failed body sends no trailers; leave the inner body to say what follows.
            *trailer = Trailer::None;
            Poll::Ready(Some(Err(error)))
        }
        None => {
            let Trailer::Pending(timings) = std::mem::replace(trailer, Trailer::Sent) else {
                return Poll::Ready(None);
            };
            let mut trailers = HeaderMap::with_capacity(1);
            if append_finished(&mut trailers, &timings) {
                if let Some(done) = done.as_mut() {
                    done.sent_in_trailer();
                }
                Poll::Ready(Some(Ok(Frame::trailers(trailers))))
            } else {
                Poll::Ready(None)
            }
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
