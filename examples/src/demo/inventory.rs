//! The demo's call to the inventory service, through a client with the
//! [`Downstream`] middleware: the call is recorded as `inventory`, and the service's own
//! `Server-Timing` metrics are merged in as `inventory.*`, with no code around the call.

use std::fmt;
use std::time::Duration;

use actix_web::ResponseError;
use actix_web::http::StatusCode;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use server_timing_runtime::reqwest::Downstream;

/// How long the demo waits for a downstream service.
const TIMEOUT: Duration = Duration::from_secs(5);

/// A client for the downstream service recorded as `name` (described `description`).
///
/// ```
/// use server_timing_runtime::{Options, Timings};
///
/// let client = server_timing_examples::demo::inventory::client("payments", "Payment provider");
/// // A loopback port that nothing listens on: the call fails, and is recorded so.
/// let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
/// let timings = Timings::with_options(Options::new().no_total());
/// # actix_web::rt::System::new().block_on(async {
/// let call = client.post(format!("http://127.0.0.1:{port}/charge")).send();
/// assert!(timings.scope(call).await.is_err());
/// # });
/// let metric = &timings.metrics()[0];
/// assert_eq!(metric.name(), "payments");
/// assert_eq!(metric.description(), Some("Payment provider (connect error)"));
/// ```
pub fn client(name: &'static str, description: &'static str) -> ClientWithMiddleware {
    let client = reqwest::Client::builder()
        // The services are on loopback: a proxy from the environment must not stand in
        // between.
        .no_proxy()
        .timeout(TIMEOUT)
        .build()
        .unwrap_or_default();
    ClientBuilder::new(client)
        .with(Downstream::new(name).description(description))
        .build()
}

/// Why the inventory could not be read; the demo answers it with `502 Bad Gateway`.
///
/// ```
/// use actix_web::ResponseError;
/// use server_timing_examples::demo::inventory::{client, items_in_stock};
/// # actix_web::rt::System::new().block_on(async {
/// // Port 0 is never listening: the call fails.
/// let error = items_in_stock(&client("inventory", "Inventory service"), "http://127.0.0.1:0")
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
/// stock. `client`'s middleware records the call.
///
/// ```no_run
/// use server_timing_examples::demo::inventory::{client, items_in_stock};
/// # actix_web::rt::System::new().block_on(async {
/// let inventory = client("inventory", "Inventory service");
/// let items = items_in_stock(&inventory, "http://127.0.0.1:1234").await;
/// # let _ = items;
/// # });
/// ```
pub async fn items_in_stock(client: &ClientWithMiddleware, base: &str) -> Result<u32, InventoryError> {
    let response = client
        .get(format!("{base}/stock"))
        .send()
        .await
        .map_err(|e| InventoryError(e.to_string()))?;
    if !response.status().is_success() {
        return Err(InventoryError(format!("status {}", response.status())));
    }
    let body = response.text().await.map_err(|e| InventoryError(e.to_string()))?;
    body.trim()
        .parse()
        .map_err(|_| InventoryError(format!("not a count: {body:?}")))
}
