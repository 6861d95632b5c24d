//! [`ServerTimingLayer`]: the tower layer and its settings.

use std::fmt;
use std::sync::Arc;

use http::request::Parts;

use crate::export::completed::Completed;
use crate::export::hook::Hook;
use crate::options::Options;
use crate::server::tower::service::ServerTimingService;

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
        ServerTimingService::new(inner, self.clone())
    }
}
