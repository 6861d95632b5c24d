//! Trace context: `traceparent` against the W3C rules, the `traceparent` / `tracestate`
//! entries every adapter writes, ids taken from OpenTelemetry, and the cost harness that
//! `scripts/callgrind.sh` counts.

mod adapters;
mod cost_harness;
mod from_opentelemetry;
mod traceparent;
