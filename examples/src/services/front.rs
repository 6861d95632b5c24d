//! The calling service: axum, answering a product page from what the inventory says, through
//! a reqwest client with `server_timing_runtime::reqwest::Downstream`, which times the call,
//! merges the inventory's metrics as `inventory.*` and forwards the request's trace.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use server_timing_runtime::reqwest::Downstream;
use server_timing_runtime::tower::ServerTimingLayer;

use super::{Parent, trace_layer};

#[derive(Clone)]
struct Front {
    inventory: ClientWithMiddleware,
    /// The inventory's base URL, `http://host:port`.
    url: Arc<str>,
}

/// The front's routes: `GET /product/{item}` asks the inventory at `inventory`
/// (`http://host:port`) for the item's stock and answers JSON: the item, its stock, and the
/// inventory's own `Server-Timing` as the front received it (`inventory_server_timing`).
///
/// ```no_run
/// use server_timing_examples::services::{front, Parent};
///
/// # async {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let app = front::router("http://127.0.0.1:3001", Parent::Extracted);
/// axum::serve(listener, app).await.unwrap();
/// # };
/// ```
pub fn router(inventory: &str, parent: Parent) -> Router {
    let front = Front {
        inventory: client(),
        url: inventory.trim_end_matches('/').into(),
    };
    let app = Router::new()
        .route("/product/{item}", get(product))
        .with_state(front)
        // Inner: Server-Timing, naming the span current as the request starts.
        .layer(ServerTimingLayer::new().trace_context(true));
    // Outer: the TraceLayer, its span the request's (see `trace_layer::traced`).
    trace_layer::traced(app, parent)
}

/// The client the front calls the inventory with: each call recorded as `inventory`, the
/// inventory's metrics merged as `inventory.*`, the request's `traceparent` sent along.
///
/// # Panics
///
/// Where reqwest cannot build a client at all (its TLS or resolver set-up failing), as
/// `reqwest::Client::new` does.
///
/// ```
/// use server_timing_runtime::{Options, Timings};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let inventory = server_timing_examples::services::front::client();
/// // A loopback port that nothing listens on: the call fails, and is recorded so.
/// let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
/// let timings = Timings::with_options(Options::new().no_total());
/// let call = inventory.get(format!("http://127.0.0.1:{port}/stock/widget")).send();
/// assert!(timings.scope(call).await.is_err());
/// let metric = &timings.metrics()[0];
/// assert_eq!(metric.name(), "inventory");
/// assert_eq!(metric.description(), Some("Inventory service (connect error)"));
/// # }
/// ```
pub fn client() -> ClientWithMiddleware {
    // No proxy: the inventory is on this machine, whatever the environment's proxy says.
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a reqwest client");
    ClientBuilder::new(client)
        .with(Downstream::new("inventory").description("Inventory service"))
        .build()
}

async fn product(
    State(front): State<Front>,
    Path(item): Path<String>,
) -> Result<Json<serde_json::Value>, StatusCode> {
    let stock = check_stock(&front.inventory, &front.url, &item)
        .await
        .map_err(|_| StatusCode::BAD_GATEWAY)?;
    Ok(Json(render(&item, &stock)))
}

/// What the inventory answered for an item.
///
/// ```
/// let stock = server_timing_examples::services::front::Stock { count: 3, server_timing: String::new() };
/// assert_eq!(stock.count, 3);
/// ```
#[derive(Clone, Debug)]
pub struct Stock {
    /// Items in stock.
    pub count: u32,
    /// The inventory response's `Server-Timing` fields, joined with `, `.
    pub server_timing: String,
}

/// Ask the inventory at `base` for `item`'s stock, in a span of its own (the front's trace
/// then has several spans: the request's, this one, `render`'s).
///
/// ```no_run
/// use server_timing_examples::services::front::{check_stock, client};
///
/// # async {
/// let stock = check_stock(&client(), "http://127.0.0.1:3001", "widget").await.unwrap();
/// println!("{} in stock", stock.count);
/// # };
/// ```
#[tracing::instrument(skip(client, base))]
pub async fn check_stock(
    client: &ClientWithMiddleware,
    base: &str,
    item: &str,
) -> Result<Stock, reqwest_middleware::Error> {
    let response = client
        .get(format!("{base}/stock/{item}"))
        .send()
        .await?
        .error_for_status()?;
    let server_timing = response
        .headers()
        .get_all("server-timing")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ");
    let count = response.text().await?.trim().parse().unwrap_or(0);
    Ok(Stock { count, server_timing })
}

/// The product page's JSON, in a span the toolkit's tracing layer makes the `render` metric.
///
/// ```
/// use server_timing_examples::services::front::{render, Stock};
///
/// let stock = Stock { count: 3, server_timing: "total;dur=2".to_owned() };
/// assert_eq!(render("widget", &stock)["in_stock"], 3);
/// ```
#[tracing::instrument(skip(stock), fields(server_timing = "render"))]
pub fn render(item: &str, stock: &Stock) -> serde_json::Value {
    serde_json::json!({
        "item": item,
        "in_stock": stock.count,
        "inventory_server_timing": stock.server_timing,
    })
}
