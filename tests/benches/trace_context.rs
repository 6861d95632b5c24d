//! What trace context costs a request (target: at most 150 ns more than the same header
//! without it): a collector made for a request, five metrics recorded, the header appended to
//! the response. `off` is the baseline; `incoming` continues the request's `traceparent` (and
//! passes its `tracestate` on), `fresh` starts a new trace. All three run in one process, under
//! the same load, so their difference is what the entries cost.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use http::{HeaderMap, HeaderValue};
use server_timing_runtime::{describe, record, Options, Timings};

#[path = "support/short_runs.rs"]
mod short_runs;
use short_runs::short_runs;

fn request(traceparent: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("accept", HeaderValue::from_static("text/html"));
    if traceparent {
        headers.insert(
            "traceparent",
            HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        headers.insert("tracestate", HeaderValue::from_static("congo=t61rcWkgMzE"));
    }
    headers
}

/// One request's work on the collector: made, filled, written into the response's headers.
fn one_request(options: &Options, request: &HeaderMap, response: &mut HeaderMap) -> bool {
    let timings = Timings::for_request(options.clone(), request);
    timings.sync_scope(|| {
        record("db", Duration::from_micros(1_234));
        describe("db", "DB read");
        record("cache", Duration::from_micros(56));
        record("render", Duration::from_micros(789));
        record("auth", Duration::from_micros(12));
        record("upstream", Duration::from_micros(3_456));
    });
    timings.append_to(response)
}

fn trace_context(c: &mut Criterion) {
    let mut group = c.benchmark_group("trace_context");
    let cases = [
        ("off", Options::new(), request(true)),
        ("incoming", Options::new().trace_context(true), request(true)),
        ("fresh", Options::new().trace_context(true), request(false)),
    ];
    for (name, options, request) in &cases {
        group.bench_function(*name, |b| {
            b.iter_batched_ref(
                HeaderMap::new,
                |response| one_request(black_box(options), black_box(request), response),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = short_runs();
    targets = trace_context
}
criterion_main!(benches);
