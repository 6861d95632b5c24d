//! In real browsers: what `PerformanceServerTiming` exposes for the demo and for every value
//! the toolkit writes, in Chromium, Firefox ESR and WebKit, how each engine reads malformed
//! values against `parse`, and RUM SDKs (Grafana Faro, Sentry's browser SDK) joining a page to
//! the server's trace.
//!
//! Each test starts its own servers on 127.0.0.1:0 and its own browser for each page it
//! loads; the browsers themselves run one at a time ([`support::one_browser_at_a_time`]).
//! A test whose browser (or node, or npm packages) is missing skips with a loud message, or
//! fails when `SERVER_TIMING_REQUIRE_CHROMIUM=1`, `SERVER_TIMING_REQUIRE_FIREFOX=1` or
//! `SERVER_TIMING_REQUIRE_WEBKIT=1` (CI sets them). One engine's tests: `cargo test -p
//! server-timing-tests --test browser firefox::`.

mod chromium;
mod firefox;
mod rum;
mod sentry;
mod support;
mod webkit;
