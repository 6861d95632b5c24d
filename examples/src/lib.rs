//! Runnable examples of `server-timing-runtime`.
//!
//! The main one is the [`demo`]: an actix-web app whose page shows, in the browser, the
//! server's own `Server-Timing` breakdown of the page and of API calls.
//!
//! ```sh
//! cargo run -p server-timing-examples --bin demo
//! ```
//!
//! [`services`] is the trace-joining recipe: two services whose `Server-Timing` and spans
//! name one trace (`cargo run -p server-timing-examples --bin two_services`).

pub mod demo;
pub mod load;
#[cfg(feature = "services")]
pub mod services;
pub mod trace_request;
