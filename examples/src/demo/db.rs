//! The demo's database: SQLite in memory, created and seeded when the demo starts, gone when
//! it stops.
//!
//! 100,000 orders of 1,000 customers, with an index on the customer: the page's
//! [`order_totals`](Database::order_totals) is an aggregate that scans every row (`db`), its
//! [`customer_orders`](Database::customer_orders) an indexed lookup of about a hundred
//! (`db-index`). Their times in the breakdown are those queries' own.

use std::fmt;
use std::str::FromStr;

use actix_web::ResponseError;
use actix_web::http::StatusCode;
use server_timing_runtime::server_timing;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

/// How many orders the demo seeds.
///
/// ```
/// assert_eq!(server_timing_examples::demo::db::ORDERS, 100_000);
/// ```
pub const ORDERS: u32 = 100_000;

/// How many customers the orders belong to, numbered from 1.
///
/// ```
/// assert_eq!(server_timing_examples::demo::db::CUSTOMERS, 1_000);
/// ```
pub const CUSTOMERS: u32 = 1_000;

/// The day (counted from the first seeded one) that the demo calls today.
const TODAY: i64 = 364;

const SCHEMA: &str = "
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    day INTEGER NOT NULL,
    total_cents INTEGER NOT NULL
)";

/// The seed (`?1` orders of `?2` customers) is a pure function of the row number, so that
/// every start has the same data (and tests the same answers) without a random number
/// generator; status (mod 7) and day (mod 365) are independent, so that some orders shipped
/// today, and 7919 is prime to the customer count, so that each customer has as many orders.
const SEED: &str = "
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
INSERT INTO orders (id, customer_id, status, day, total_cents)
SELECT i,
       (i * 7919) % ?2 + 1,
       CASE (i * 31) % 7 WHEN 0 THEN 'open' WHEN 1 THEN 'open' WHEN 2 THEN 'shipped' ELSE 'delivered' END,
       (i * 13) % 365,
       500 + (i * 104729) % 20000
FROM n";

/// Built after the seed: one pass over sorted keys instead of 100,000 index updates.
const INDEX: &str = "CREATE INDEX orders_by_customer ON orders (customer_id)";

/// What the order totals say.
///
/// ```
/// # use server_timing_examples::demo::{auth::User, db::CustomerOrders, page::{render, Summary}};
/// use server_timing_examples::demo::db::Orders;
///
/// let orders = Orders { open: 12, shipped: 31 };
/// # let user = User { name: "ada".to_owned(), customer: 1 };
/// # let mine = CustomerOrders { count: 0, spent_cents: 0 };
/// # let summary = Summary { user, orders, mine, in_stock: None, trace: None };
/// // As the page's summary line says them:
/// assert!(render(&summary).contains("12 of 100,000 orders open · 31 shipped today"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Orders {
    /// Open orders.
    pub open: u32,
    /// Orders shipped today.
    pub shipped: u32,
}

/// One customer's orders.
///
/// ```
/// # use server_timing_examples::demo::{auth::User, db::Orders, page::{render, Summary}};
/// use server_timing_examples::demo::db::CustomerOrders;
///
/// let mine = CustomerOrders { count: 100, spent_cents: 1_050_000 };
/// # let user = User { name: "ada".to_owned(), customer: 1 };
/// # let orders = Orders { open: 0, shipped: 0 };
/// # let summary = Summary { user, orders, mine, in_stock: None, trace: None };
/// // As the page's summary line says them:
/// assert!(render(&summary).contains("100 orders of yours ($10,500.00)"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomerOrders {
    /// How many orders the customer placed.
    pub count: u32,
    /// What they cost in all, in cents.
    pub spent_cents: i64,
}

/// A query failed; the demo answers it with `500 Internal Server Error`.
///
/// ```
/// use actix_web::ResponseError;
/// let error = server_timing_examples::demo::db::DbError::from(sqlx::Error::PoolClosed);
/// assert_eq!(error.status_code(), 500);
/// ```
#[derive(Debug)]
pub struct DbError(sqlx::Error);

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        DbError(error)
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "database: {}", self.0)
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// The demo answers `500` when its database fails.
impl ResponseError for DbError {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

/// The demo's database, shared by every worker (a cheap handle to one in-memory SQLite
/// connection).
///
/// ```
/// use server_timing_examples::demo::db::Database;
/// # actix_web::rt::System::new().block_on(async {
/// let db = Database::open().await.unwrap();
/// let totals = db.order_totals().await.unwrap();
/// assert!(totals.open > 0);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct Database {
    pool: SqlitePool,
}

impl Database {
    /// Create the database in memory and seed it with [`ORDERS`] orders.
    ///
    /// ```
    /// use server_timing_examples::demo::db::{Database, CUSTOMERS, ORDERS};
    /// # actix_web::rt::System::new().block_on(async {
    /// let db = Database::open().await.unwrap();
    /// // Each customer has as many of the seeded orders.
    /// assert_eq!(db.customer_orders(1).await.unwrap().count, ORDERS / CUSTOMERS);
    /// assert_eq!(db.customer_orders(CUSTOMERS).await.unwrap().count, ORDERS / CUSTOMERS);
    /// # });
    /// ```
    pub async fn open() -> Result<Self, DbError> {
        let pool = memory_pool().await?;
        sqlx::query(SCHEMA).execute(&pool).await?;
        sqlx::query(SEED)
            .bind(ORDERS)
            .bind(CUSTOMERS)
            .execute(&pool)
            .await?;
        sqlx::query(INDEX).execute(&pool).await?;
        Ok(Database { pool })
    }

    /// Open orders and orders shipped today: an aggregate over every row, recorded as `db`.
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// let db = server_timing_examples::demo::db::Database::open().await.unwrap();
    /// let totals = db.order_totals().await.unwrap();
    /// assert!(totals.shipped < totals.open);
    /// # });
    /// ```
    #[server_timing("db", desc = "Order totals: full scan")]
    // A span around the statement carries the request to sqlx's worker thread, whose
    // `sqlx::query` event the tracing layer records as `sqlx`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn order_totals(&self) -> Result<Orders, DbError> {
        let (open, shipped): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE status = 'open'),
                    count(*) FILTER (WHERE status = 'shipped' AND day = ?1)
             FROM orders",
        )
        .bind(TODAY)
        .fetch_one(&self.pool)
        .await?;
        Ok(Orders {
            open: count(open),
            shipped: count(shipped),
        })
    }

    /// `customer`'s orders: an indexed lookup, recorded as `db-index`.
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// let db = server_timing_examples::demo::db::Database::open().await.unwrap();
    /// assert_eq!(db.customer_orders(1).await.unwrap().count, 100);
    /// assert_eq!(db.customer_orders(0).await.unwrap().count, 0);
    /// # });
    /// ```
    #[server_timing("db-index", desc = "Your orders: index lookup")]
    // A span around the statement carries the request to sqlx's worker thread, whose
    // `sqlx::query` event the tracing layer records as `sqlx`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn customer_orders(&self, customer: u32) -> Result<CustomerOrders, DbError> {
        let (n, spent): (i64, i64) = sqlx::query_as(
            "SELECT count(*), coalesce(sum(total_cents), 0) FROM orders WHERE customer_id = ?1",
        )
        .bind(customer)
        .fetch_one(&self.pool)
        .await?;
        Ok(CustomerOrders {
            count: count(n),
            spent_cents: spent,
        })
    }
}

/// A pool of one connection to a private in-memory database, kept open for the pool's life:
/// each `:memory:` connection is a database of its own, and it is gone when closed.
pub(crate) async fn memory_pool() -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
    SqlitePoolOptions::new()
        .min_connections(1)
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
}

/// A SQL count as the page shows it.
fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
