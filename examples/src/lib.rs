//! Runnable examples of `server-timing-runtime`.
//!
//! The main one is the [`demo`]: an actix-web app whose page shows, in the browser, the
//! server's own `Server-Timing` breakdown of the page and of API calls.
//!
//! ```sh
//! cargo run -p server-timing-examples --bin demo
//! ```

pub mod demo;
pub mod load;
pub mod trace_request;
