//! The demo's routes and the state its handlers share.

use std::fmt;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{COOKIE, SET_COOKIE};
use actix_web::{App, Error, HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError, web};
use reqwest_middleware::ClientWithMiddleware;
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::metrics::histograms;
use server_timing_runtime::{Completed, Timings};

use super::auth::{SESSION_COOKIE, Session, Sessions};
use super::cache::Cache;
use super::db::{Database, DbError, Orders};
use super::inventory::{self, InventoryError};
use super::page::{self, Summary};
use super::telemetry;

/// How long cached order totals stay fresh: reload the page within this to see a cache hit.
///
/// ```
/// assert!(server_timing_examples::demo::CACHE_TTL.as_secs() >= 1);
/// ```
pub const CACHE_TTL: Duration = Duration::from_secs(5);

const ORDERS_KEY: &str = "orders:today";

/// What the demo's handlers share: the database, the cache, the session key, and clients for
/// the services it calls.
///
/// ```
/// use actix_web::test::{call_service, init_service, TestRequest};
/// use server_timing_examples::demo::Demo;
///
/// # actix_web::rt::System::new().block_on(async {
/// let demo = Demo::open("http://127.0.0.1:9").await.unwrap(); // no inventory service: `/` still renders
/// let app = init_service(demo.app()).await;
/// let response = call_service(&app, TestRequest::get().uri("/").to_request()).await;
/// assert!(response.status().is_success());
/// assert!(response.headers().contains_key("server-timing"));
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct Demo {
    db: Database,
    cache: Cache,
    sessions: Sessions,
    inventory: ClientWithMiddleware,
    inventory_base: Arc<str>,
    payments: ClientWithMiddleware,
    payments_base: Arc<str>,
}

impl Demo {
    /// The demo's state: its database created and seeded, calling the inventory service at
    /// `inventory_base` (e.g. `http://127.0.0.1:1234`).
    ///
    /// ```
    /// use actix_web::test::{call_service, init_service, read_body, TestRequest};
    /// use server_timing_examples::demo::Demo;
    ///
    /// // A loopback port that nothing listens on, for an inventory service that is down.
    /// let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    /// # actix_web::rt::System::new().block_on(async {
    /// let demo = Demo::open(&format!("http://127.0.0.1:{port}")).await.unwrap();
    /// let app = init_service(demo.app()).await;
    ///
    /// // The database is seeded ...
    /// let orders = call_service(&app, TestRequest::get().uri("/api/orders").to_request()).await;
    /// assert!(read_body(orders).await.starts_with(br#"{"open":"#));
    /// // ... and the inventory is asked at `inventory_base`.
    /// let stock = call_service(&app, TestRequest::get().uri("/api/inventory").to_request()).await;
    /// assert_eq!(stock.status(), 502);
    /// let value = stock.headers().get("server-timing").unwrap().to_str().unwrap();
    /// assert!(value.contains(r#"inventory;dur="#) && value.contains("connect error"), "{value}");
    /// # });
    /// ```
    pub async fn open(inventory_base: &str) -> Result<Self, DbError> {
        telemetry::init();
        Ok(Demo {
            db: Database::open().await?,
            cache: Cache::new(CACHE_TTL),
            sessions: Sessions::new(),
            inventory: inventory::client("inventory", "Inventory service"),
            inventory_base: Arc::from(inventory_base.trim_end_matches('/')),
            payments: inventory::client("payments", "Payment provider"),
            payments_base: Arc::from(closed_port_url().as_str()),
        })
    }

    /// The demo's session key, to sign a session cookie for a chosen user (a test's, say).
    ///
    /// ```
    /// use server_timing_examples::demo::{auth::User, Demo};
    /// # actix_web::rt::System::new().block_on(async {
    /// let demo = Demo::open("http://127.0.0.1:1234").await.unwrap();
    /// let cookie = demo.sessions().sign(&User { name: "grace".to_owned(), customer: 7 });
    /// assert!(cookie.is_some());
    /// # });
    /// ```
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Register the demo's routes and state on `cfg`, for an app that adds its own routes
    /// or middleware (a test, say). Wrap the app in [`server_timing()`] to get the headers.
    ///
    /// ```
    /// use actix_web::test::{call_service, init_service, TestRequest};
    /// use actix_web::{web, App, HttpResponse};
    /// use server_timing_examples::demo::{server_timing, Demo};
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let demo = Demo::open("http://127.0.0.1:1234").await.unwrap();
    /// let app = App::new()
    ///     .wrap(server_timing())
    ///     .configure(|cfg| demo.configure(cfg))
    ///     .route("/extra", web::get().to(HttpResponse::Ok));
    /// let app = init_service(app).await;
    /// for path in ["/api/orders", "/extra"] {
    ///     let response = call_service(&app, TestRequest::get().uri(path).to_request()).await;
    ///     assert_eq!(response.status(), 200, "{path}");
    ///     assert!(response.headers().contains_key("server-timing"), "{path}");
    /// }
    /// # });
    /// ```
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(web::Data::new(self.clone()))
            .route("/", web::get().to(index))
            .route("/api/orders", web::get().to(orders))
            .route("/api/inventory", web::get().to(stock))
            .route("/api/report", web::get().to(report))
            .route("/api/payments", web::get().to(payments))
            .route("/metrics", web::get().to(prometheus));
    }

    /// The whole demo app: [`server_timing()`] around [`configure`](Self::configure). More
    /// routes may be added to it; they are wrapped by the middleware too.
    ///
    /// ```
    /// use actix_web::test::{call_service, init_service, TestRequest};
    /// use actix_web::{web, HttpResponse};
    /// # actix_web::rt::System::new().block_on(async {
    /// let demo = server_timing_examples::demo::Demo::open("http://127.0.0.1:1234").await.unwrap();
    /// let app = demo.app().route("/extra", web::get().to(HttpResponse::Ok));
    /// let app = init_service(app).await;
    /// let response = call_service(&app, TestRequest::get().uri("/extra").to_request()).await;
    /// assert!(response.headers().contains_key("server-timing"), "the added route is wrapped too");
    /// # });
    /// ```
    pub fn app(
        &self,
    ) -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody + use<>>,
            Error = Error,
            InitError = (),
        > + use<>,
    > {
        App::new()
            .wrap(server_timing())
            .configure(|cfg| self.configure(cfg))
    }

    /// The order totals, from the cache when fresh, else from the database (then cached).
    async fn orders(&self) -> Result<Orders, DbError> {
        if let Some(orders) = self.cache.orders(ORDERS_KEY) {
            return Ok(orders);
        }
        let orders = self.db.order_totals().await?;
        self.cache.put_orders(ORDERS_KEY, orders);
        Ok(orders)
    }

    async fn in_stock(&self) -> Result<u32, InventoryError> {
        inventory::items_in_stock(&self.inventory, &self.inventory_base).await
    }

    fn session(&self, req: &HttpRequest) -> Session {
        let cookies = req.headers().get(COOKIE).and_then(|v| v.to_str().ok());
        self.sessions.authenticate(cookies)
    }
}

/// A URL on loopback where nothing listens (a port the system just handed out and took
/// back): the demo's payment provider, which is down, so `/api/payments` shows a failed call.
fn closed_port_url() -> String {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map_or(9, |addr| addr.port());
    format!("http://127.0.0.1:{port}")
}

/// The middleware as the demo configures it.
///
/// ```
/// use actix_web::test::{call_service, init_service, TestRequest};
/// use actix_web::{web, App, HttpResponse};
///
/// let timing = server_timing_examples::demo::server_timing();
/// # actix_web::rt::System::new().block_on(async {
/// let app = init_service(App::new().wrap(timing).route("/", web::get().to(HttpResponse::Ok))).await;
/// let response = call_service(&app, TestRequest::get().to_request()).await;
/// let value = response.headers().get("server-timing").unwrap().to_str().unwrap();
/// // The trace entry first, then `total`, described.
/// let entries = server_timing_runtime::parse(value);
/// assert_eq!(entries[0].name, "traceparent");
/// assert_eq!((entries[1].name.as_str(), entries[1].description.as_str()), ("total", "Whole request"));
/// # });
/// ```
pub fn server_timing() -> ServerTiming {
    let histograms = histograms();
    ServerTiming::new()
        .total_description("Whole request")
        // The page's RUM data joins the server's trace: a `traceparent` entry (and the
        // page's `<meta name="traceparent">`); the demo's responses are `no-store`.
        .trace_context(true)
        .on_complete(move |done: &Completed<'_>| {
            histograms(done);
            log(done);
        })
}

/// One structured log line per request, whether its header was sent or not.
fn log(done: &Completed<'_>) {
    let slowest = done
        .metrics()
        .iter()
        .filter_map(|m| Some((m.name(), m.duration()?)))
        .max_by_key(|&(_, duration)| duration);
    tracing::info!(
        method = %done.method(),
        route = done.route().unwrap_or(done.path()),
        status = done.status().as_u16(),
        // Milliseconds at the header's precision, 3 decimals.
        total_ms = %format!("{:.3}", done.total().as_secs_f64() * 1e3),
        metrics = done.metrics().len(),
        slowest = slowest.map(|(name, _)| name),
        sent = done.sent(),
        "request"
    );
}

/// `GET /metrics`: every request's metrics as Prometheus histograms.
async fn prometheus() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(telemetry::init().render())
}

/// A response that sets the session's cookie when it is a new one.
fn response(status: StatusCode, session: &Session) -> HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    // Every load should reach the server, so that its breakdown is fresh.
    response.insert_header(("cache-control", "no-store"));
    if let Some(cookie) = &session.set_cookie {
        response.insert_header((
            SET_COOKIE,
            format!("{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax"),
        ));
    }
    response
}

fn json(session: &Session, body: String) -> HttpResponse {
    response(StatusCode::OK, session)
        .content_type("application/json")
        .body(body)
}

/// What a handler may fail with: each answers its own status, with the breakdown.
#[derive(Debug)]
enum Failure {
    Db(DbError),
    Inventory(InventoryError),
    Payments,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Db(e) => e.fmt(f),
            Failure::Inventory(e) => e.fmt(f),
            Failure::Payments => f.write_str("payment provider unavailable"),
        }
    }
}

impl ResponseError for Failure {
    fn status_code(&self) -> StatusCode {
        match self {
            Failure::Db(e) => e.status_code(),
            Failure::Inventory(e) => e.status_code(),
            Failure::Payments => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl From<DbError> for Failure {
    fn from(e: DbError) -> Self {
        Failure::Db(e)
    }
}

impl From<InventoryError> for Failure {
    fn from(e: InventoryError) -> Self {
        Failure::Inventory(e)
    }
}

async fn index(req: HttpRequest, demo: web::Data<Demo>) -> Result<HttpResponse, Failure> {
    let session = demo.session(&req);
    let orders = demo.orders().await?;
    let mine = demo.db.customer_orders(session.user.customer).await?;
    let in_stock = demo.in_stock().await.ok();
    let html = page::render(&Summary {
        user: session.user.clone(),
        orders,
        mine,
        in_stock,
        trace: Timings::current().and_then(|timings| timings.trace_parent()),
    });
    Ok(response(StatusCode::OK, &session)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

async fn orders(req: HttpRequest, demo: web::Data<Demo>) -> Result<HttpResponse, Failure> {
    let session = demo.session(&req);
    let orders = demo.orders().await?;
    Ok(json(
        &session,
        format!(r#"{{"open":{},"shipped":{}}}"#, orders.open, orders.shipped),
    ))
}

async fn stock(req: HttpRequest, demo: web::Data<Demo>) -> Result<HttpResponse, Failure> {
    let session = demo.session(&req);
    let in_stock = demo.in_stock().await?;
    Ok(json(&session, format!(r#"{{"in_stock":{in_stock}}}"#)))
}

/// Orders and stock at once: the two run concurrently, so on a cache miss `db` and
/// `inventory` add up to more than `total`.
async fn report(req: HttpRequest, demo: web::Data<Demo>) -> Result<HttpResponse, Failure> {
    let session = demo.session(&req);
    let (orders, in_stock) = tokio::join!(demo.orders(), demo.in_stock());
    let (orders, in_stock) = (orders?, in_stock?);
    Ok(json(
        &session,
        format!(
            r#"{{"open":{},"shipped":{},"in_stock":{in_stock}}}"#,
            orders.open, orders.shipped
        ),
    ))
}

/// The payment provider is down: the call fails (recorded as `payments`, described as the
/// failure), and the 503 carries the breakdown too.
async fn payments(req: HttpRequest, demo: web::Data<Demo>) -> Result<HttpResponse, Failure> {
    let session = demo.session(&req);
    let charged = demo
        .payments
        .post(format!("{}/charge", demo.payments_base))
        .send()
        .await;
    match charged {
        Ok(response) if response.status().is_success() => {
            Ok(json(&session, r#"{"charged":true}"#.to_owned()))
        }
        _ => Err(Failure::Payments),
    }
}
