//! The demo: an actix-web app whose page shows the server's own `Server-Timing` breakdown.
//!
//! `GET /` and the `GET /api/*` endpoints run instrumented helpers: [`auth::authenticate`],
//! a [`cache`] lookup described `hit` or `miss`, a simulated [`db`] query, a call to a second
//! local service ([`inventory`], whose own metrics are merged in as `downstream.*`) and
//! [`page::render`]. The page reads the `navigation` and `resource` entries' `serverTiming`
//! and draws them as a table and a bar chart.
//!
//! ```
//! # actix_web::rt::System::new().block_on(async {
//! let running = server_timing_examples::demo::start("127.0.0.1:0").unwrap();
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
pub mod simulate;

pub use routes::{server_timing, Demo, CACHE_TTL, SESSION_HEADER};
pub use server::{start, start_with, Running};
