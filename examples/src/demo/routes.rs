//! The demo's routes and the state its handlers share.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{web, App, Error, HttpRequest, HttpResponse, ResponseError};
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::server_timing;

use super::auth::{self, User};
use super::cache::Cache;
use super::db::{self, Orders};
use super::inventory::{self, InventoryError};
use super::page::{self, Summary};
use super::simulate;

/// The request header the demo reads as a session: its value is the user name.
///
/// ```sh
/// curl -H 'demo-user: ada' http://127.0.0.1:8080/
/// ```
pub const SESSION_HEADER: &str = "demo-user";

/// How long cached orders stay fresh: reload the page within this to see a cache hit.
///
/// ```
/// assert!(server_timing_examples::demo::CACHE_TTL.as_secs() >= 1);
/// ```
pub const CACHE_TTL: Duration = Duration::from_secs(5);

const ORDERS_KEY: &str = "orders:today";

/// What the demo's handlers share: the cache, and how to reach the inventory service.
///
/// ```
/// use actix_web::test::{call_service, init_service, TestRequest};
/// use server_timing_examples::demo::Demo;
///
/// # actix_web::rt::System::new().block_on(async {
/// let demo = Demo::new("http://127.0.0.1:9"); // no inventory service: `/` still renders
/// let app = init_service(demo.app()).await;
/// let response = call_service(&app, TestRequest::get().uri("/").to_request()).await;
/// assert!(response.status().is_success());
/// assert!(response.headers().contains_key("server-timing"));
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct Demo {
    cache: Arc<Cache>,
    client: reqwest::Client,
    inventory: Arc<str>,
}

impl Demo {
    /// The demo's state, calling the inventory service at `inventory_base`
    /// (e.g. `http://127.0.0.1:1234`).
    ///
    /// ```
    /// let demo = server_timing_examples::demo::Demo::new("http://127.0.0.1:1234");
    /// # let _ = demo;
    /// ```
    pub fn new(inventory_base: &str) -> Self {
        let client = reqwest::Client::builder()
            // The inventory service is on loopback: a proxy from the environment must not
            // stand in between.
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Demo {
            cache: Arc::new(Cache::new(CACHE_TTL)),
            client,
            inventory: Arc::from(inventory_base.trim_end_matches('/')),
        }
    }

    /// Register the demo's routes and state on `cfg`, for an app that adds its own routes
    /// or middleware (a test, say). Wrap the app in [`server_timing()`] to get the headers.
    ///
    /// ```
    /// use actix_web::{web, App, HttpResponse};
    /// use server_timing_examples::demo::{server_timing, Demo};
    ///
    /// let demo = Demo::new("http://127.0.0.1:1234");
    /// let app = App::new()
    ///     .wrap(server_timing())
    ///     .configure(|cfg| demo.configure(cfg))
    ///     .route("/extra", web::get().to(HttpResponse::Ok));
    /// # let _ = app;
    /// ```
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(web::Data::new(self.clone()))
            .route("/", web::get().to(index))
            .route("/api/orders", web::get().to(orders))
            .route("/api/inventory", web::get().to(stock))
            .route("/api/report", web::get().to(report))
            .route("/api/payments", web::get().to(payments));
    }

    /// The whole demo app: [`server_timing()`] around [`configure`](Self::configure). More
    /// routes may be added to it; they are wrapped by the middleware too.
    ///
    /// ```
    /// use actix_web::{web, HttpResponse};
    /// let demo = server_timing_examples::demo::Demo::new("http://127.0.0.1:1234");
    /// let app = demo.app().route("/extra", web::get().to(HttpResponse::Ok));
    /// # let _ = app;
    /// ```
    pub fn app(
        &self,
    ) -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = Error,
            InitError = (),
        >,
    > {
        App::new()
            .wrap(server_timing())
            .configure(|cfg| self.configure(cfg))
    }

    /// Today's orders, from the cache when fresh, else from the database (then cached).
    async fn orders(&self) -> Orders {
        if let Some(orders) = self.cache.orders(ORDERS_KEY) {
            return orders;
        }
        let orders = db::query_orders().await;
        self.cache.put_orders(ORDERS_KEY, orders);
        orders
    }

    async fn in_stock(&self) -> Result<u32, InventoryError> {
        inventory::items_in_stock(&self.client, &self.inventory).await
    }
}

/// The middleware as the demo configures it.
///
/// ```
/// let timing = server_timing_examples::demo::server_timing();
/// # let _ = timing;
/// ```
pub fn server_timing() -> ServerTiming {
    ServerTiming::new().total_description("Whole request")
}

async fn user(req: &HttpRequest) -> User {
    let session = req.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok());
    auth::authenticate(session).await
}

async fn index(req: HttpRequest, demo: web::Data<Demo>) -> HttpResponse {
    let user = user(&req).await;
    let orders = demo.orders().await;
    let in_stock = demo.in_stock().await.ok();
    let html = page::render(&Summary {
        user,
        orders,
        in_stock,
    });
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        // Every load should reach the server, so that its breakdown is fresh.
        .insert_header(("cache-control", "no-store"))
        .body(html)
}

fn json(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("cache-control", "no-store"))
        .body(body)
}

async fn orders(req: HttpRequest, demo: web::Data<Demo>) -> HttpResponse {
    user(&req).await;
    let orders = demo.orders().await;
    json(format!(
        r#"{{"open":{},"shipped":{}}}"#,
        orders.open, orders.shipped
    ))
}

async fn stock(req: HttpRequest, demo: web::Data<Demo>) -> Result<HttpResponse, InventoryError> {
    user(&req).await;
    let in_stock = demo.in_stock().await?;
    Ok(json(format!(r#"{{"in_stock":{in_stock}}}"#)))
}

/// Orders and stock at once: the two run concurrently, so on a cache miss `db` and
/// `downstream` add up to more than `total`.
async fn report(req: HttpRequest, demo: web::Data<Demo>) -> Result<HttpResponse, InventoryError> {
    user(&req).await;
    let (orders, in_stock) = tokio::join!(demo.orders(), demo.in_stock());
    let in_stock = in_stock?;
    Ok(json(format!(
        r#"{{"open":{},"shipped":{},"in_stock":{in_stock}}}"#,
        orders.open, orders.shipped
    )))
}

/// The payment provider is down: the 503 carries the breakdown too.
async fn payments(req: HttpRequest) -> Result<HttpResponse, PaymentsUnavailable> {
    user(&req).await;
    Err(charge().await)
}

#[server_timing("payments", desc = "Payment provider")]
async fn charge() -> PaymentsUnavailable {
    simulate::latency(15, 5).await;
    PaymentsUnavailable
}

/// The error `/api/payments` always answers.
#[derive(Debug)]
struct PaymentsUnavailable;

impl fmt::Display for PaymentsUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("payment provider unavailable")
    }
}

impl ResponseError for PaymentsUnavailable {
    fn status_code(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }
}
