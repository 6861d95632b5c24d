//! The `trace_context` bench's request (`server_timing_examples::trace_request`), `N` times,
//! inside an entered span of a real `tracing-opentelemetry` layer, with trace context `on`
//! (its ids from the span) or `off`: what `scripts/callgrind.sh` counts for a service that
//! traces with OpenTelemetry. `call_cost` cannot: its crate is built without the
//! `opentelemetry` feature.
//!
//! Usage: `opentelemetry_cost on|off N`

use std::process::ExitCode;

use server_timing_examples::trace_request::{headers, one_request, requests};
use server_timing_runtime::Options;
use server_timing_tests::opentelemetry_span::{assert_ids_from_span, dispatch, in_span};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = args.get(1).and_then(|n| n.parse::<u64>().ok());
    let (options, n) = match (args.first().map(String::as_str), count) {
        (Some("on"), Some(n)) => (Options::new().trace_context(true), n),
        (Some("off"), Some(n)) => (Options::new(), n),
        _ => {
            eprintln!("usage: opentelemetry_cost on|off N");
            return ExitCode::from(2);
        }
    };
    // The request carries a `traceparent` and a `tracestate`, which the span's ids win over.
    let request = headers(true, true);
    in_span(&dispatch(), || {
        assert_ids_from_span(&request);
        requests(one_request, &options, &request, n);
    });
    ExitCode::SUCCESS
}
