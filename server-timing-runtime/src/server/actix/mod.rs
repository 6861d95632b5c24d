//! actix-web 4 middleware: [`ServerTiming`], a collector per request, current while the inner
//! service runs, and the `Server-Timing` field appended to its response.
//!
//! ```
//! use actix_web::test::{call_service, init_service, TestRequest};
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
//! # actix_web::rt::System::new().block_on(async {
//! let app = init_service(app).await;
//! let response = call_service(&app, TestRequest::get().uri("/user").to_request()).await;
//! let value = response.headers().get("server-timing").unwrap().to_str().unwrap();
//! let names: Vec<_> = server_timing_runtime::parse(value).into_iter().map(|m| m.name).collect();
//! assert_eq!(names, ["total", "db"]);
//! assert!(value.ends_with(r#";desc="DB read""#), "{value}");
//! # });
//! ```

use std::fmt;
use std::sync::Arc;

use actix_web::dev::ServiceRequest;

use crate::export::completed::Completed;
use crate::export::hook::Hook;
use crate::options::Options;

mod body;
mod future;
mod head;
mod middleware;

pub use body::ServerTimingBody;
pub use future::ServerTimingFuture;
pub use middleware::ServerTimingMiddleware;

/// A per-request predicate on the request.
pub(crate) type Predicate = dyn Fn(&ServiceRequest) -> bool + Send + Sync;

/// Middleware that collects each request's metrics and appends them to its response as a
/// `Server-Timing` header field.
///
/// For every request it makes a [`Timings`](crate::Timings) (whose `total` starts then) and runs the inner
/// service inside its scope, so every `#[server_timing]` fn, [`record`](crate::record) and
/// [`timer`](crate::timer) called by the handler, the functions it calls and inner middleware records into
/// that request; futures spawned elsewhere join it with
/// [`in_current_timings`](crate::FutureExt::in_current_timings). When the response is ready
/// it appends one new `Server-Timing` field: fields set by the handler or inner middleware
/// are kept as they are.
///
/// - Error responses get the header too: handler errors (`Err` of any
///   [`ResponseError`](actix_web::ResponseError), 4xx or 5xx), the default service's 404, and an
///   `Err` returned by an inner middleware or service. The last one stays an `Err`: it is
///   wrapped in an [`InternalError`](actix_web::error::InternalError) holding the original error's response plus the header,
///   so `Error::as_error::<T>()` in outer middleware no longer finds the original type.
/// - Streaming bodies: the header goes out with the response head, so its metrics, `total`
///   included, cover the time until the head is ready. With an
///   [`on_complete`](Self::on_complete) hook, the body ([`ServerTimingBody`]) is polled with
///   the request's collector current, and the hook gets what the body recorded and a `total`
///   to its end.
///
/// Options (shared with the tower layer; see [`Options`]) are set with the builder methods,
/// and [`when`](Self::when) decides per request whether anything is collected at all.
///
/// ```
/// use actix_web::test::{call_service, init_service, TestRequest};
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
/// # actix_web::rt::System::new().block_on(async {
/// let app = init_service(app).await;
///
/// let asked = TestRequest::get().insert_header(("x-debug-timing", "1")).to_request();
/// let response = call_service(&app, asked).await;
/// let value = response.headers().get("server-timing").unwrap().to_str().unwrap();
/// assert!(value.starts_with("total;dur=") && value.ends_with(r#";desc="Whole request""#), "{value}");
///
/// let response = call_service(&app, TestRequest::get().to_request()).await;
/// assert!(!response.headers().contains_key("server-timing"));
/// # });
/// ```
#[derive(Clone, Default)]
pub struct ServerTiming {
    pub(crate) options: Options,
    pub(crate) when: Option<Arc<Predicate>>,
    pub(crate) send_when: Option<Arc<Predicate>>,
    pub(crate) on_complete: Option<Hook>,
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
    /// use actix_web::test::{call_service, init_service, TestRequest};
    /// use actix_web::{web, App, HttpResponse};
    ///
    /// let timing = server_timing_runtime::actix::ServerTiming::new();
    /// # actix_web::rt::System::new().block_on(async {
    /// let app = init_service(App::new().wrap(timing).route("/", web::get().to(HttpResponse::Ok))).await;
    /// let response = call_service(&app, TestRequest::get().to_request()).await;
    /// let value = response.headers().get("server-timing").unwrap().to_str().unwrap();
    /// assert!(value.starts_with("total;dur="), "{value}");
    /// # });
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
    /// use actix_web::test::{call_service, init_service, TestRequest};
    /// use actix_web::{web, App, HttpResponse};
    /// use server_timing_runtime::{actix::ServerTiming, Timings};
    ///
    /// let timing = ServerTiming::new().when(|req| req.headers().contains_key("x-debug-timing"));
    /// let handler = || async {
    ///     // Whether the handler runs with a collector in scope.
    ///     let timed = Timings::current().is_some().to_string();
    ///     HttpResponse::Ok().insert_header(("x-timed", timed)).finish()
    /// };
    /// # actix_web::rt::System::new().block_on(async {
    /// let app = init_service(App::new().wrap(timing).route("/", web::get().to(handler))).await;
    ///
    /// let asked = TestRequest::get().insert_header(("x-debug-timing", "1")).to_request();
    /// let response = call_service(&app, asked).await;
    /// assert_eq!(response.headers().get("x-timed").unwrap(), "true");
    /// assert!(response.headers().contains_key("server-timing"));
    ///
    /// let response = call_service(&app, TestRequest::get().to_request()).await;
    /// assert_eq!(response.headers().get("x-timed").unwrap(), "false");
    /// assert!(!response.headers().contains_key("server-timing"));
    /// # });
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
    /// use std::sync::mpsc;
    /// use actix_web::test::{call_service, init_service, TestRequest};
    /// use actix_web::{web, App, HttpResponse};
    /// use server_timing_runtime::actix::ServerTiming;
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let timing = ServerTiming::new()
    ///     .send_when(|req| req.headers().contains_key("x-staff"))
    ///     .on_complete(move |done| tx.send((done.path().to_owned(), done.sent())).unwrap());
    /// # actix_web::rt::System::new().block_on(async {
    /// let app = init_service(App::new().wrap(timing).default_service(web::to(HttpResponse::Ok))).await;
    ///
    /// let staff = TestRequest::get().uri("/staff").insert_header(("x-staff", "1")).to_request();
    /// assert!(call_service(&app, staff).await.headers().contains_key("server-timing"));
    /// let visitor = TestRequest::get().uri("/visitor").to_request();
    /// assert!(!call_service(&app, visitor).await.headers().contains_key("server-timing"));
    /// # });
    ///
    /// // Both were collected and reached the hook.
    /// let done: Vec<_> = rx.try_iter().collect();
    /// assert_eq!(done, [("/staff".to_owned(), true), ("/visitor".to_owned(), false)]);
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
    /// The hook runs once the response body has ended (or was dropped, the client gone): the
    /// body is polled with the request's collector current, so what it records (a template
    /// rendered as it streams, a streamed query) is among the metrics, and `total` runs to
    /// the body's end.
    ///
    /// It runs on the worker thread, inside the request: keep it short (a log line, a metrics
    /// update) and hand slow work to a channel. A panic in it is contained (see `Completed`).
    /// A second call replaces the first hook.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// use actix_web::test::{call_service, init_service, TestRequest};
    /// use actix_web::{web, App, HttpResponse};
    /// use server_timing_runtime::{actix::ServerTiming, record};
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let timing = ServerTiming::new().on_complete(move |done| {
    ///     let db = done.metrics().iter().find(|m| m.name() == "db").and_then(|m| m.duration());
    ///     println!("{} {:?} {} {:?} db={db:?}", done.method(), done.route(), done.status(), done.total());
    ///     tx.send((done.route().map(str::to_owned), done.status().as_u16(), db)).unwrap();
    /// });
    /// let order = || async {
    ///     record("db", Duration::from_millis(4));
    ///     HttpResponse::Ok().finish()
    /// };
    /// # actix_web::rt::System::new().block_on(async {
    /// let app = init_service(App::new().wrap(timing).route("/orders/{id}", web::get().to(order))).await;
    /// call_service(&app, TestRequest::get().uri("/orders/7").to_request()).await;
    /// # });
    ///
    /// let (route, status, db) = rx.try_recv().expect("the hook ran once the response was done");
    /// assert_eq!(route.as_deref(), Some("/orders/{id}"));
    /// assert_eq!((status, db), (200, Some(Duration::from_millis(4))));
    /// ```
    #[must_use]
    pub fn on_complete(mut self, hook: impl Fn(&Completed<'_>) + Send + Sync + 'static) -> Self {
        self.on_complete = Some(Arc::new(hook));
        self
    }
}
