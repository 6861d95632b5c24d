//! An axum 0.8 app timed with `tower::ServerTimingLayer` and `#[server_timing]` fns.
//!
//! ```sh
//! cargo run -p server-timing-examples --bin axum          # PORT=3000 unless set
//! curl -i http://127.0.0.1:3000/users/7                    # Server-Timing: total, db, render
//! curl -i http://127.0.0.1:3000/health                     # not timed: no header
//! # A streamed response to a client that accepts trailers gets its metrics in a trailer,
//! # `total` measured to the end of the body (type some lines, then Ctrl-D):
//! curl --raw -i -H 'TE: trailers' -T - http://127.0.0.1:3000/echo
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, put};
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{describe, server_timing};

const DEFAULT_PORT: u16 = 3000;

struct User {
    id: u64,
    name: &'static str,
}

#[server_timing("db", desc = "Load user")]
async fn load_user(id: u64) -> Option<User> {
    // Stands in for a query.
    tokio::time::sleep(Duration::from_millis(3)).await;
    let names = [
        "ada", "grace", "edsger", "barbara", "donald", "frances", "ken", "margaret",
    ];
    let name = names.get(usize::try_from(id).ok()?)?;
    Some(User { id, name })
}

#[server_timing]
fn render(user: &User) -> String {
    format!("user {}: {}\n", user.id, user.name)
}

async fn user(Path(id): Path<u64>) -> Result<String, StatusCode> {
    let user = load_user(id).await.ok_or(StatusCode::NOT_FOUND)?;
    Ok(render(&user))
}

async fn health() -> &'static str {
    "ok\n"
}

/// The request body, streamed back as it arrives.
async fn echo(body: Body) -> Body {
    describe("echo", "request body streamed back");
    body
}

fn app() -> Router {
    Router::new()
        .route("/users/{id}", get(user))
        .route("/echo", put(echo).post(echo))
        .route("/health", get(health))
        .layer(
            ServerTimingLayer::new()
                .when(|head| head.uri.path() != "/health")
                .trailers(true),
        )
}

fn port() -> Result<u16, String> {
    match std::env::var("PORT") {
        Ok(value) => value
            .parse()
            .map_err(|_| format!("PORT must be a port number, not {value:?}")),
        Err(_) => Ok(DEFAULT_PORT),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port()?));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on http://{}/users/7", listener.local_addr()?);
    axum::serve(listener, app()).await?;
    Ok(())
}
