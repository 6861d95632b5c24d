//! [`ServerTimingLayer`]: the tower layer and its settings.

use std::fmt;
use std::sync::Arc;

use http::request::Parts;

use crate::export::completed::Completed;
use crate::export::hook::Hook;
use crate::options::Options;

/// A per-request predicate on the request head.
pub(crate) type Predicate = Arc<dyn Fn(&Parts) -> bool + Send + Sync>;

/// Adds per-request Server-Timing to a tower service: a [`Timings`](crate::Timings) scope around the inner
/// service, `total`, and the appended `Server-Timing` field.
///
/// Offers the same options as `actix::ServerTiming` (see [`Options`]), a per-request
/// [`when`](Self::when) predicate, and [`trailers`](Self::trailers) for streamed bodies.
///
/// A request through the layer, and the field its response gets:
///
/// ```
/// # use std::convert::Infallible;
/// # use std::future::{ready, Ready};
/// # use std::task::{Context, Poll};
/// use http::{Request, Response};
/// use server_timing_runtime::tower::ServerTimingLayer;
/// use tower_layer::Layer;
/// use tower_service::Service;
///
/// #[derive(Clone)]
/// struct Hello;
///
/// impl Service<Request<String>> for Hello {
///     type Response = Response<String>;
///     type Error = Infallible;
///     type Future = Ready<Result<Response<String>, Infallible>>;
///
///     fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
///         Poll::Ready(Ok(()))
///     }
///
///     fn call(&mut self, _: Request<String>) -> Self::Future {
///         server_timing_runtime::describe("greeting", "hello");
///         ready(Ok(Response::new("hi".to_owned())))
///     }
/// }
///
/// let mut service = ServerTimingLayer::new().precision(1).layer(Hello);
/// let response = futures::executor::block_on(service.call(Request::new(String::new()))).unwrap();
/// let value = response.headers()["server-timing"].to_str().unwrap();
/// assert!(value.starts_with("total;dur="));
/// assert!(value.ends_with(", greeting;desc=hello"));
/// ```
///
/// The settings:
///
/// ```
/// use std::convert::Infallible;
/// use std::time::Duration;
/// use http::{HeaderValue, Request, Response};
/// use server_timing_runtime::record;
/// use server_timing_runtime::tower::ServerTimingLayer;
/// use tower::{ServiceBuilder, ServiceExt};
///
/// let layer = ServerTimingLayer::new()
///     .precision(1)
///     .timing_allow_origin(HeaderValue::from_static("https://app.example.com"))
///     .when(|head| head.uri.path() != "/health")
///     .trailers(true);
/// let service = ServiceBuilder::new().layer(layer).service_fn(|_: Request<()>| async {
///     record("db", Duration::from_micros(1_240));
///     Ok::<_, Infallible>(Response::new(String::new()))
/// });
/// let get = |path| {
///     let request = Request::get(path).body(()).unwrap();
///     futures::executor::block_on(service.clone().oneshot(request)).unwrap()
/// };
///
/// let page = get("/");
/// assert!(page.headers()["server-timing"].to_str().unwrap().ends_with(", db;dur=1.2"));
/// assert_eq!(page.headers()["timing-allow-origin"], "https://app.example.com");
/// let health = get("/health");
/// assert!(!health.headers().contains_key("server-timing"));
/// ```
#[derive(Clone, Default)]
pub struct ServerTimingLayer {
    pub(crate) options: Options,
    pub(crate) when: Option<Predicate>,
    pub(crate) trailers: bool,
    pub(crate) send_when: Option<Predicate>,
    pub(crate) on_complete: Option<Hook>,
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
    /// use std::convert::Infallible;
    /// use http::{Request, Response};
    /// use server_timing_runtime::tower::ServerTimingLayer;
    /// use tower::{ServiceBuilder, ServiceExt};
    ///
    /// let service = ServiceBuilder::new()
    ///     .layer(ServerTimingLayer::new())
    ///     .service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(String::new())) });
    /// let response = futures::executor::block_on(service.oneshot(Request::new(()))).unwrap();
    /// assert!(response.headers()["server-timing"].to_str().unwrap().starts_with("total;dur="));
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
    /// use std::convert::Infallible;
    /// use http::{Request, Response};
    /// use server_timing_runtime::tower::ServerTimingLayer;
    /// use server_timing_runtime::Timings;
    /// use tower::{ServiceBuilder, ServiceExt};
    ///
    /// // Only for callers that asked for it.
    /// let layer = ServerTimingLayer::new().when(|head| head.headers.contains_key("x-debug-timing"));
    /// let service = ServiceBuilder::new().layer(layer).service_fn(|_: Request<()>| async {
    ///     // Whether the handler runs with a collector in scope.
    ///     let timed = Timings::current().is_some().to_string();
    ///     Ok::<_, Infallible>(Response::builder().header("x-timed", timed).body(String::new()).unwrap())
    /// });
    /// let call = |request| futures::executor::block_on(service.clone().oneshot(request)).unwrap();
    ///
    /// let asked = call(Request::get("/").header("x-debug-timing", "1").body(()).unwrap());
    /// assert_eq!(asked.headers()["x-timed"], "true");
    /// assert!(asked.headers().contains_key("server-timing"));
    ///
    /// let plain = call(Request::get("/").body(()).unwrap());
    /// assert_eq!(plain.headers()["x-timed"], "false");
    /// assert!(!plain.headers().contains_key("server-timing"));
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
    /// # use std::convert::Infallible;
    /// # use std::pin::Pin;
    /// # use std::task::{Context, Poll};
    /// # use bytes::Bytes;
    /// # use http_body::Frame;
    /// # /// A body of no known length: one chunk, streamed.
    /// # struct Streamed(Option<Bytes>);
    /// # impl Body for Streamed {
    /// #     type Data = Bytes;
    /// #     type Error = Infallible;
    /// #     fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
    /// #         Poll::Ready(self.0.take().map(|chunk| Ok(Frame::data(chunk))))
    /// #     }
    /// # }
    /// use http::{header::TE, Request, Response};
    /// use http_body::Body;
    /// use server_timing_runtime::tower::ServerTimingLayer;
    /// use tower::{ServiceBuilder, ServiceExt};
    ///
    /// let service = ServiceBuilder::new()
    ///     .layer(ServerTimingLayer::new().trailers(true))
    ///     .service_fn(|_: Request<()>| async {
    ///         Ok::<_, Infallible>(Response::new(Streamed(Some(Bytes::from("hi")))))
    ///     });
    /// let request = Request::get("/").header(TE, "trailers").body(()).unwrap();
    /// # futures::executor::block_on(async {
    /// let response = service.oneshot(request).await.unwrap();
    /// assert_eq!(response.headers()["trailer"], "server-timing");
    /// assert!(!response.headers().contains_key("server-timing"));
    ///
    /// let mut body = std::pin::pin!(response.into_body());
    /// let mut trailers = None;
    /// while let Some(frame) = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
    ///     trailers = frame.unwrap().into_trailers().ok();
    /// }
    /// let trailers = trailers.expect("a trailer after the last chunk");
    /// assert!(trailers["server-timing"].to_str().unwrap().starts_with("total;dur="));
    /// # });
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
    /// use std::convert::Infallible;
    /// use std::sync::mpsc;
    /// use http::{Request, Response};
    /// use server_timing_runtime::tower::ServerTimingLayer;
    /// use tower::{ServiceBuilder, ServiceExt};
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let layer = ServerTimingLayer::new()
    ///     .send_when(|head| head.headers.contains_key("x-staff"))
    ///     .on_complete(move |done| tx.send((done.path().to_owned(), done.sent())).unwrap());
    /// let service = ServiceBuilder::new()
    ///     .layer(layer)
    ///     .service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(String::new())) });
    /// let call = |request| futures::executor::block_on(service.clone().oneshot(request)).unwrap();
    ///
    /// let staff = call(Request::get("/staff").header("x-staff", "1").body(()).unwrap());
    /// assert!(staff.headers().contains_key("server-timing"));
    /// let visitor = call(Request::get("/visitor").body(()).unwrap());
    /// assert!(!visitor.headers().contains_key("server-timing"));
    ///
    /// // Both were collected and reached the hook.
    /// let done: Vec<_> = rx.try_iter().collect();
    /// assert_eq!(done, [("/staff".to_owned(), true), ("/visitor".to_owned(), false)]);
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
    /// use std::convert::Infallible;
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// use http::{Request, Response};
    /// use server_timing_runtime::record;
    /// use server_timing_runtime::tower::ServerTimingLayer;
    /// use tower::{ServiceBuilder, ServiceExt};
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let layer = ServerTimingLayer::new().on_complete(move |done| {
    ///     let db = done.metrics().iter().find(|m| m.name() == "db").and_then(|m| m.duration());
    ///     println!("{} {} {:?} db={db:?}", done.method(), done.status(), done.total());
    ///     tx.send((done.method().clone(), done.status(), db)).unwrap();
    /// });
    /// let service = ServiceBuilder::new().layer(layer).service_fn(|_: Request<()>| async {
    ///     record("db", Duration::from_millis(4));
    ///     Ok::<_, Infallible>(Response::new(String::new()))
    /// });
    /// futures::executor::block_on(service.oneshot(Request::post("/orders").body(()).unwrap())).unwrap();
    ///
    /// let (method, status, db) = rx.try_recv().expect("the hook ran once the body ended");
    /// assert_eq!((method, status.as_u16(), db), (http::Method::POST, 200, Some(Duration::from_millis(4))));
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
