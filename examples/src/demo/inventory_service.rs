//! The second, "downstream" service the demo calls: an inventory service with its own
//! database (SQLite in memory, seeded at start-up) and its own `ServerTiming` middleware, so
//! its response carries its own `Server-Timing` header.

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, HttpResponse, body::MessageBody, web};
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::server_timing;
use sqlx::sqlite::SqlitePool;

use super::db::{DbError, memory_pool};

/// Items in stock, as the service answers `GET /stock`: the seed stocks every 250th of its
/// 10,500 products.
///
/// ```
/// assert_eq!(server_timing_examples::demo::inventory_service::IN_STOCK, 42);
/// ```
pub const IN_STOCK: u32 = 42;

const SEED: &str = "
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    stock INTEGER NOT NULL,
    price_cents INTEGER NOT NULL
);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10500)
INSERT INTO products (id, stock, price_cents)
SELECT i, CASE WHEN i % 250 = 0 THEN i / 250 ELSE 0 END, 100 + (i * 7331) % 10000
FROM n;
CREATE INDEX products_in_stock ON products (stock) WHERE stock > 0;
";

/// The inventory's database, shared by the service's workers.
///
/// ```
/// use actix_web::test::{call_service, init_service, TestRequest};
/// use server_timing_examples::demo::inventory_service::{app, Store};
/// # actix_web::rt::System::new().block_on(async {
/// let store = Store::open().await.unwrap();
/// let service = init_service(app(store)).await;
/// let response = call_service(&service, TestRequest::get().uri("/stock").to_request()).await;
/// // Its two queries, as the service's `Server-Timing` shows them.
/// let value = response.headers().get("server-timing").unwrap().to_str().unwrap();
/// let names: Vec<_> = server_timing_runtime::parse(value).into_iter().map(|m| m.name).collect();
/// assert_eq!(names, ["total", "search", "price"]);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Create the inventory in memory and seed it.
    ///
    /// ```
    /// use actix_web::test::{call_service, init_service, read_body, TestRequest};
    /// use server_timing_examples::demo::inventory_service::{app, Store, IN_STOCK};
    /// # actix_web::rt::System::new().block_on(async {
    /// let store = Store::open().await.unwrap();
    /// let service = init_service(app(store)).await;
    /// let response = call_service(&service, TestRequest::get().uri("/stock").to_request()).await;
    /// assert_eq!(read_body(response).await, IN_STOCK.to_string());
    /// # });
    /// ```
    pub async fn open() -> Result<Self, DbError> {
        let pool = memory_pool().await?;
        sqlx::raw_sql(SEED).execute(&pool).await?;
        Ok(Store { pool })
    }

    /// The products in stock, with their prices: an indexed lookup.
    #[server_timing("search", desc = "Stock index")]
    async fn in_stock(&self) -> Result<Vec<i64>, DbError> {
        let prices: Vec<(i64,)> = sqlx::query_as("SELECT price_cents FROM products WHERE stock > 0")
            .fetch_all(&self.pool)
            .await?;
        Ok(prices.into_iter().map(|(price,)| price).collect())
    }

    /// The price rule: an item is sold at no more than twice the catalogue's average price,
    /// an aggregate over every product.
    #[server_timing("price", desc = "Price rules")]
    async fn sellable(&self, prices: &[i64]) -> Result<u32, DbError> {
        let (average,): (f64,) = sqlx::query_as("SELECT coalesce(avg(price_cents), 0.0) FROM products")
            .fetch_one(&self.pool)
            .await?;
        let sellable = prices.iter().filter(|&&p| p as f64 <= 2.0 * average).count();
        Ok(u32::try_from(sellable).unwrap_or(u32::MAX))
    }
}

async fn stock(store: web::Data<Store>) -> Result<HttpResponse, DbError> {
    let prices = store.in_stock().await?;
    let items = store.sellable(&prices).await?;
    Ok(HttpResponse::Ok().body(items.to_string()))
}

/// The inventory service on `store`: `GET /stock` answers the number of items in stock as
/// plain text.
///
/// ```
/// use actix_web::test::{call_service, init_service, read_body, TestRequest};
/// use server_timing_examples::demo::inventory_service::{app, Store};
/// # actix_web::rt::System::new().block_on(async {
/// let service = init_service(app(Store::open().await.unwrap())).await;
/// let response = call_service(&service, TestRequest::get().uri("/stock").to_request()).await;
/// assert!(response.headers().contains_key("server-timing"));
/// assert_eq!(read_body(response).await, "42");
/// # });
/// ```
pub fn app(
    store: Store,
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
        .wrap(ServerTiming::new())
        .app_data(web::Data::new(store))
        .route("/stock", web::get().to(stock))
}
