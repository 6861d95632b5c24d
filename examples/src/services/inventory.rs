//! The called service: axum, answering how many of an item are in stock, with its own
//! Server-Timing (trace context on) and its own OpenTelemetry spans.

use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use server_timing_runtime::tower::ServerTimingLayer;

use super::{Parent, trace_layer};

/// The inventory's routes: `GET /stock/{item}` answers the count as text. Its response's
/// `Server-Timing` opens with `traceparent;desc="00-<trace>-<this request's span>-01"`, then
/// `total` and `db`.
///
/// ```no_run
/// use server_timing_examples::services::{inventory, Parent};
///
/// # async {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// axum::serve(listener, inventory::router(Parent::Extracted)).await.unwrap();
/// # };
/// ```
pub fn router(parent: Parent) -> Router {
    let app = Router::new()
        .route("/stock/{item}", get(stock))
        // Inner: starts each request's Server-Timing. With trace context on it names the
        // OpenTelemetry span current as the request starts, the TraceLayer's below.
        .layer(ServerTimingLayer::new().trace_context(true));
    // Outer (a layer added later wraps the ones before): the TraceLayer, whose span is entered
    // while the Server-Timing layer and the handler run.
    trace_layer::traced(app, parent)
}

async fn stock(Path(item): Path<String>) -> String {
    format!("{}\n", count(&item).await)
}

/// The stock of `item`: a span the toolkit's tracing layer makes the `db` metric.
#[tracing::instrument(fields(server_timing = "db", server_timing.desc = "Stock lookup"))]
async fn count(item: &str) -> u32 {
    // Stands in for a query.
    tokio::time::sleep(Duration::from_millis(2)).await;
    match item {
        "widget" => 3,
        "gadget" => 12,
        _ => 0,
    }
}
