//! The demo's call to the inventory service, whose own `Server-Timing` metrics are merged
//! into this request's under the `downstream.` prefix.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::ResponseError;
use server_timing_runtime::{record_downstream, server_timing};

/// Why the inventory could not be read; the demo answers it with `502 Bad Gateway`.
///
/// ```
/// use actix_web::ResponseError;
/// # actix_web::rt::System::new().block_on(async {
/// let client = reqwest::Client::builder().no_proxy().build().unwrap();
/// // Port 0 is never listening: the call fails.
/// let error = server_timing_examples::demo::inventory::items_in_stock(&client, "http://127.0.0.1:0")
///     .await
///     .unwrap_err();
/// assert_eq!(error.status_code(), 502);
/// # });
/// ```
#[derive(Debug)]
pub struct InventoryError(String);

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "inventory service: {}", self.0)
    }
}

impl std::error::Error for InventoryError {}

/// The demo answers `502 Bad Gateway` when the inventory service fails.
impl ResponseError for InventoryError {
    fn status_code(&self) -> StatusCode {
        StatusCode::BAD_GATEWAY
    }
}

/// Ask the inventory service at `base` (e.g. `http://127.0.0.1:1234`) how many items are in
/// stock: the call is recorded as `downstream`, and the service's own metrics as
/// `downstream.total`, `downstream.search`, ...
///
/// ```no_run
/// # actix_web::rt::System::new().block_on(async {
/// let client = reqwest::Client::new();
/// let items = server_timing_examples::demo::inventory::items_in_stock(&client, "http://127.0.0.1:1234").await;
/// # let _ = items;
/// # });
/// ```
pub async fn items_in_stock(client: &reqwest::Client, base: &str) -> Result<u32, InventoryError> {
    let response = call(client, base).await?;
    // After the call is recorded, so that `downstream` comes before `downstream.*`.
    record_downstream("downstream", response.headers());
    if !response.status().is_success() {
        return Err(InventoryError(format!("status {}", response.status())));
    }
    let body = response.text().await.map_err(|e| InventoryError(e.to_string()))?;
    body.trim()
        .parse()
        .map_err(|_| InventoryError(format!("not a count: {body:?}")))
}

/// The request, until the service's response head has arrived.
#[server_timing("downstream", desc = "Inventory service")]
async fn call(client: &reqwest::Client, base: &str) -> Result<reqwest::Response, InventoryError> {
    client
        .get(format!("{base}/stock"))
        .send()
        .await
        .map_err(|e| InventoryError(e.to_string()))
}
