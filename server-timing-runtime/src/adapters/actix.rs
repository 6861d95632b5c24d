//! actix-web 4 middleware: [`ServerTiming`].
//!
//! ```
//! use actix_web::{web, App, HttpResponse};
//! use server_timing_runtime::{actix::ServerTiming, server_timing};
//!
//! #[server_timing("db", desc = "DB read")]
//! async fn load_user() -> String {
//!     "ada".to_owned()
//! }
//!
//! async fn user() -> HttpResponse {
//!     HttpResponse::Ok().body(load_user().await)
//! }
//!
//! let app = App::new()
//!     .wrap(ServerTiming::default())
//!     .route("/user", web::get().to(user));
//! # let _ = app;
//! ```

use std::fmt;
use std::future::{ready, Future, Ready};
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue, CACHE_CONTROL};
use actix_web::Error;
use pin_project_lite::pin_project;

use crate::adapters::completed::{Hook, Path, Pending};
use crate::adapters::trace_context;
use crate::collector::timings::{ReadAfter, Scope, Timings};
use crate::header::traceparent::{TRACEPARENT_NAME, TRACESTATE_NAME};
use crate::options::Options;
use crate::Completed;

// actix-web 4 is built on `http` 0.2, so the crate's `http` 1.x names cannot be used here.
const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");
const TIMING_ALLOW_ORIGIN: HeaderName = HeaderName::from_static("timing-allow-origin");
// Statics, looked up by reference: a `&str` would be parsed on every request, and a name that
// is not a standard one copied into a new allocation.
static TRACEPARENT: HeaderName = HeaderName::from_static(TRACEPARENT_NAME);
static TRACESTATE: HeaderName = HeaderName::from_static(TRACESTATE_NAME);

type Predicate = dyn Fn(&ServiceRequest) -> bool + Send + Sync;

/// Middleware that collects each request's metrics and appends them to its response as a
/// `Server-Timing` header field.
///
/// For every request it makes a [`Timings`] (whose `total` starts then) and runs the inner
/// service inside its scope, so every `#[server_timing]` fn, [`record`](crate::record) and
/// [`timer`](crate::timer) called by the handler, its helpers and inner middleware records into
/// that request; futures spawned elsewhere join it with
/// [`in_current_timings`](crate::FutureExt::in_current_timings). When the response is ready
/// it appends one new `Server-Timing` field: fields set by the handler or inner middleware
/// are kept as they are.
///
/// - Error responses get the header too: handler errors (`Err` of any
///   [`ResponseError`](actix_web::ResponseError), 4xx or 5xx), the default service's 404, and an
///   `Err` returned by an inner middleware or service. The last one stays an `Err`: it is
///   wrapped in an [`InternalError`] holding the original error's response plus the header,
///   so `Error::as_error::<T>()` in outer middleware no longer finds the original type.
/// - Streaming bodies: the metrics, `total` included, cover the time until the response head
///   is ready, not the time the body takes to stream.
///
/// Options (shared with the tower layer; see [`Options`]) are set with the builder methods,
/// and [`when`](Self::when) decides per request whether anything is collected at all.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
/// use server_timing_runtime::actix::ServerTiming;
///
/// let timing = ServerTiming::new()
///     .precision(1)
///     .total_description("Whole request")
///     .when(|req| req.headers().contains_key("x-debug-timing"));
/// let app = App::new()
///     .wrap(timing)
///     .route("/", web::get().to(HttpResponse::Ok));
/// # let _ = app;
/// ```
#[derive(Clone, Default)]
pub struct ServerTiming {
    options: Options,
    when: Option<Arc<Predicate>>,
    send_when: Option<Arc<Predicate>>,
    on_complete: Option<Hook>,
}

impl fmt::Debug for ServerTiming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTiming")
            .field("options", &self.options)
            .field("when", &self.when.as_ref().map(|_| "Fn(&ServiceRequest) -> bool"))
            .field(
                "send_when",
                &self.send_when.as_ref().map(|_| "Fn(&ServiceRequest) -> bool"),
            )
            .field(
                "on_complete",
                &self.on_complete.as_ref().map(|_| "Fn(&Completed)"),
            )
            .finish()
    }
}

impl ServerTiming {
    /// The middleware with the default [`Options`], for every request.
    ///
    /// ```
    /// let timing = server_timing_runtime::actix::ServerTiming::new();
    /// # let _ = timing;
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    crate::options::forward_options!("server_timing_runtime::actix::ServerTiming::new()");

    /// Collect and send metrics only for requests for which `predicate` returns `true`, e.g.
    /// when a debug header or an authenticated user is present. For the others no collector
    /// is in scope (instrumented code costs one thread-local read) and no header is sent.
    /// A second call replaces the first predicate.
    ///
    /// ```
    /// use server_timing_runtime::actix::ServerTiming;
    /// let timing = ServerTiming::new().when(|req| req.headers().contains_key("x-debug-timing"));
    /// # let _ = timing;
    /// ```
    #[must_use]
    pub fn when(mut self, predicate: impl Fn(&ServiceRequest) -> bool + Send + Sync + 'static) -> Self {
        self.when = Some(Arc::new(predicate));
        self
    }

    /// Send the metrics (and `Timing-Allow-Origin`) only for requests for which `predicate`
    /// returns `true`; the others are still collected (as [`when`](Self::when) says) and
    /// handed to [`on_complete`](Self::on_complete). So: collect for everyone, send to staff.
    /// A second call replaces the first predicate.
    ///
    /// ```
    /// use server_timing_runtime::actix::ServerTiming;
    ///
    /// let timing = ServerTiming::new()
    ///     .send_when(|req| req.headers().contains_key("x-staff"))
    ///     .on_complete(|done| println!("{} {:?}", done.path(), done.total()));
    /// # let _ = timing;
    /// ```
    #[must_use]
    pub fn send_when(mut self, predicate: impl Fn(&ServiceRequest) -> bool + Send + Sync + 'static) -> Self {
        self.send_when = Some(Arc::new(predicate));
        self
    }

    /// Call `hook` once per timed request, when its response leaves this middleware, whether
    /// the metrics were sent or not: also for error responses, the default service's 404, a
    /// handler that panicked and a client that went away first (see
    /// [`Completed::aborted`](crate::Completed::aborted)). Requests that [`when`](Self::when)
    /// leaves out are not timed and do not reach it. The [route](crate::Completed::route) is
    /// actix's `match_pattern()`.
    ///
    /// A streamed body is not awaited: actix hands the middleware no end-of-body event short
    /// of changing the response's body type, so `total` and the metrics cover the time until
    /// the response head is ready, as the header's do.
    ///
    /// It runs on the worker thread, inside the request: keep it short (a log line, a metrics
    /// update) and hand slow work to a channel. A panic in it is contained (see `Completed`).
    /// A second call replaces the first hook.
    ///
    /// ```
    /// use server_timing_runtime::actix::ServerTiming;
    ///
    /// let timing = ServerTiming::new().on_complete(|done| {
    ///     let db = done.metrics().iter().find(|m| m.name() == "db").and_then(|m| m.duration());
    ///     println!("{} {:?} {} {:?} db={db:?}", done.method(), done.route(), done.status(), done.total());
    /// });
    /// # let _ = timing;
    /// ```
    #[must_use]
    pub fn on_complete(mut self, hook: impl Fn(&Completed<'_>) + Send + Sync + 'static) -> Self {
        self.on_complete = Some(Arc::new(hook));
        self
    }
}

/// What every request of one worker's middleware reads.
struct Inner {
    options: Options,
    when: Option<Arc<Predicate>>,
    send_when: Option<Arc<Predicate>>,
    on_complete: Option<Hook>,
}

impl<S, B> Transform<S, ServiceRequest> for ServerTiming
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = ServerTimingMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ServerTimingMiddleware {
            service,
            inner: Rc::new(Inner {
                options: self.options.clone(),
                when: self.when.clone(),
                send_when: self.send_when.clone(),
                on_complete: self.on_complete.clone(),
            }),
        }))
    }
}

/// The [`ServerTiming`] service wrapping an inner service; made by its [`Transform`].
///
/// ```
/// use actix_web::dev::{Service, ServiceResponse, Transform};
/// use actix_web::test::{ok_service, TestRequest};
/// use server_timing_runtime::actix::ServerTiming;
///
/// # actix_web::rt::System::new().block_on(async {
/// let service = ServerTiming::new().new_transform(ok_service()).await.unwrap();
/// let response: ServiceResponse = service.call(TestRequest::default().to_srv_request()).await.unwrap();
/// assert!(response.headers().contains_key("server-timing"));
/// # });
/// ```
pub struct ServerTimingMiddleware<S> {
    service: S,
    inner: Rc<Inner>,
}

impl<S> fmt::Debug for ServerTimingMiddleware<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTimingMiddleware")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for ServerTimingMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = ServerTimingFuture<S::Future, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let wanted = self.inner.when.as_ref().map_or(true, |when| when(&req));
        if !wanted {
            return ServerTimingFuture::new(Scope::new(None, self.service.call(req)));
        }
        let send = self
            .inner
            .send_when
            .as_ref()
            .map_or(true, |send_when| send_when(&req));
        let options = self.inner.options.clone();
        let trace = options.config().trace_context.then(|| {
            let headers = req.headers();
            trace_context::from_request(
                || headers.get_all(&TRACEPARENT).map(HeaderValue::as_bytes),
                || headers.get_all(&TRACESTATE).map(HeaderValue::as_bytes),
            )
        });
        let timings = Timings::with_trace(options, trace);
        let done = self.inner.on_complete.as_ref().map(|hook| {
            // actix-web 4's `Method` is `http` 0.2's: the same method in the crate's `http`.
            let method = http::Method::from_bytes(req.method().as_str().as_bytes()).unwrap_or_default();
            Pending::new(
                hook.clone(),
                timings.clone(),
                method,
                Path::Actix(req.uri().clone()),
            )
        });
        // Inner middleware may record while it builds its future, not only while polled.
        let future = timings.sync_scope(|| self.service.call(req));
        let mut future = ServerTimingFuture::new(Scope::new(Some(timings), future));
        future.send = send;
        future.done = done;
        future
    }
}

pin_project! {
    /// The response future of [`ServerTimingMiddleware`]: the inner service's future, run in
    /// the request's scope, whose response gets the `Server-Timing` field.
    ///
    /// ```
    /// use actix_web::dev::{Service, ServiceResponse, Transform};
    /// use actix_web::test::{ok_service, TestRequest};
    /// use server_timing_runtime::actix::{ServerTiming, ServerTimingFuture};
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let service = ServerTiming::new().new_transform(ok_service()).await.unwrap();
    /// let future: ServerTimingFuture<_, _> = service.call(TestRequest::default().to_srv_request());
    /// let response: ServiceResponse = future.await.unwrap();
    /// assert!(response.headers().contains_key("server-timing"));
    /// # });
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct ServerTimingFuture<F, B> {
        #[pin]
        future: Scope<F>,
        // `send_when` holds.
        send: bool,
        // After `future`: dropped after it, so a request cut short reports what its dropped
        // futures recorded.
        done: Option<Box<Pending>>,
        _body: PhantomData<B>,
    }
}

impl<F, B> ServerTimingFuture<F, B> {
    fn new(future: Scope<F>) -> Self {
        ServerTimingFuture {
            future,
            send: true,
            done: None,
            _body: PhantomData,
        }
    }
}

impl<F, B> fmt::Debug for ServerTimingFuture<F, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTimingFuture")
            .field("timings", &self.future.timings())
            .finish_non_exhaustive()
    }
}

impl<F, B> Future for ServerTimingFuture<F, B>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = Result<ServiceResponse<B>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(done) = this.done.as_mut() else {
            let send = *this.send;
            return this.future.poll_then(cx, |result, timings| {
                let Some(timings) = timings.filter(|_| send) else {
                    return result;
                };
                match result {
                    Ok(mut response) => {
                        append(response.headers_mut(), timings, ReadAfter::No);
                        Ok(response)
                    }
                    Err(error) => {
                        let mut response = error.error_response();
                        append(response.headers_mut(), timings, ReadAfter::No);
                        Err(InternalError::from_response(error, response).into())
                    }
                }
            });
        };
        done.polling(true);
        let send = *this.send;
        let polled = this.future.poll_then(cx, |result, timings| {
            let timings = timings.filter(|_| send);
            match result {
                Ok(mut response) => {
                    let sent = timings.is_some_and(|t| append(response.headers_mut(), t, ReadAfter::Yes));
                    let status = response.status().as_u16();
                    let route = response.request().match_pattern();
                    (Ok(response), status, route, sent)
                }
                Err(error) => {
                    let mut response = error.error_response();
                    let sent = timings.is_some_and(|t| append(response.headers_mut(), t, ReadAfter::Yes));
                    let status = response.status().as_u16();
                    (
                        Err(InternalError::from_response(error, response).into()),
                        status,
                        None,
                        sent,
                    )
                }
            }
        });
        done.polling(false);
        let (result, status, route, sent) = ready!(polled);
        if let Some(mut done) = this.done.take() {
            done.respond(
                http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
                sent,
            );
            done.set_route(route);
            done.finish(false);
        }
        Poll::Ready(result)
    }
}

/// Close `timings` and append its value as a new `Server-Timing` field, with the configured
/// `Timing-Allow-Origin` values unless `headers` has that header already. Returns whether a
/// field was appended.
fn append(headers: &mut HeaderMap, timings: &Timings, read_after: ReadAfter) -> bool {
    timings.apply_cache_rule(|| headers.get_all(CACHE_CONTROL).map(HeaderValue::as_bytes));
    let Some(value) = timings.finish_value(read_after) else {
        return false;
    };
    // SAFETY: visible ASCII and spaces only (see `Timings::finish_value`), valid in any `http`
    // version's header value; debug builds of `http` check again.
    let value = unsafe { HeaderValue::from_maybe_shared_unchecked(value) };
    headers.append(SERVER_TIMING, value);
    for origin in timings
        .options()
        .allow_origins(|| headers.contains_key(TIMING_ALLOW_ORIGIN))
    {
        if let Ok(origin) = HeaderValue::from_bytes(origin.as_bytes()) {
            headers.append(TIMING_ALLOW_ORIGIN, origin);
        }
    }
    true
}
