//! The demo's pretend database.

use server_timing_runtime::server_timing;

use super::simulate;

/// What the orders query returns.
///
/// ```
/// use server_timing_examples::demo::db::Orders;
/// let orders = Orders { open: 12, shipped: 31 };
/// # let _ = orders;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Orders {
    /// Open orders.
    pub open: u32,
    /// Orders shipped today.
    pub shipped: u32,
}

/// Query the orders table: recorded as `db`, described "Query orders".
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// let orders = server_timing_examples::demo::db::query_orders().await;
/// assert!(orders.open > 0);
/// # });
/// ```
#[server_timing("db", desc = "Query orders")]
pub async fn query_orders() -> Orders {
    simulate::latency(8, 6).await;
    Orders {
        open: 12,
        shipped: 31,
    }
}
