//! Trace context: `traceparent` against the W3C rules, the `traceparent` / `tracestate`
//! entries every adapter writes, ids taken from OpenTelemetry, the `sentry-trace` entry with
//! the real Sentry SDK, two services joined into one trace by the example's recipe, and the
//! cost harness that `scripts/callgrind.sh` counts.

mod adapters;
mod cost_harness;
mod from_opentelemetry;
mod joined_services;
mod sentry;
mod traceparent;
