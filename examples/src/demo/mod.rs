//! The demo: an actix-web app whose page shows the server's own `Server-Timing` breakdown.
//!
//! `GET /` and the `GET /api/*` endpoints do real work, each piece timed: an HMAC-signed
//! session cookie verified ([`auth`]), a moka [`cache`] lookup described `hit` or `miss`,
//! SQLite queries on 100,000 orders seeded in memory at start-up ([`db`]: an aggregate and
//! an indexed lookup), a call to a second local service with its own database
//! ([`inventory`], through the `Downstream` middleware, which merges the service's metrics
//! in as `inventory.*`) and [`page::render`] (a `tracing` span, made a metric by the
//! toolkit's tracing layer, as sqlx's own statement events are: see [`telemetry`]). Every
//! request's metrics also go to Prometheus, at `GET /metrics`. The page reads the `navigation` and `resource`
//! entries' `serverTiming` and draws them as a table and a bar chart.
//!
//! ```no_run
//! # actix_web::rt::System::new().block_on(async {
//! let running = server_timing_examples::demo::start("127.0.0.1:0").await.unwrap();
//! println!("open {}", running.url());
//! running.stop().await;
//! # });
//! ```
//!
//! Tests add their own routes with [`start_with`] or [`Demo::configure`].

pub mod auth;
pub mod cache;
pub mod cli;
pub mod db;
pub mod inventory;
pub mod inventory_service;
pub mod page;
mod routes;
mod server;
pub mod telemetry;

pub use auth::SESSION_COOKIE;
pub use routes::{CACHE_TTL, Demo, server_timing};
pub use server::{Running, start, start_with};
