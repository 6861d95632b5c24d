//! What trace context costs a request (target: at most 150 ns more than the same header
//! without it): a collector made for a request, five metrics recorded, the header appended to
//! the response (`server_timing_examples::trace_request`). `off` is the baseline; `incoming` continues the request's `traceparent` and
//! passes its `tracestate` on, `traceparent_only` continues one without `tracestate`, `fresh`
//! starts a new trace. All run in one process, under the same load; the `summary` runs them as
//! paired rounds, so that their difference is what the entries cost.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use http::HeaderMap;
use server_timing_examples::trace_request::{headers, one_request, requests};
use server_timing_runtime::Options;

#[path = "support/paired.rs"]
mod paired;
#[path = "support/short_runs.rs"]
mod short_runs;
use paired::{median, rounds};
use short_runs::short_runs;

/// Requests per block and blocks per variant of the summary's paired rounds.
const SUMMARY_BLOCK: u64 = 2_000;
const SUMMARY_ROUNDS: usize = 201;

/// The variants, in the order the summary prints them.
fn cases() -> [(&'static str, Options, HeaderMap); 4] {
    let on = Options::new().trace_context(true);
    [
        ("off", Options::new(), headers(true, true)),
        ("incoming", on.clone(), headers(true, true)),
        ("traceparent_only", on.clone(), headers(true, false)),
        ("fresh", on, headers(false, false)),
    ]
}

fn trace_context(c: &mut Criterion) {
    let mut group = c.benchmark_group("trace_context");
    for (name, options, request) in &cases() {
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

/// The same three as paired rounds (each round runs one block of each, back to back), so that
/// a shared machine's drift cancels out of the difference: the cost trace context adds.
fn summary(_: &mut Criterion) {
    let run = |(_, options, request): &(&str, Options, HeaderMap)| {
        let options = options.clone();
        let request = request.clone();
        move |n: u64| requests(&options, &request, n)
    };
    let cases = cases();
    let runs = cases.each_ref().map(run);
    let runs: Vec<&dyn Fn(u64)> = runs.iter().map(|r| r as &dyn Fn(u64)).collect();
    let measured = rounds(&runs, SUMMARY_BLOCK, SUMMARY_ROUNDS);
    let added: Vec<String> = (1..cases.len())
        .map(|i| {
            let ns = median(&measured, |ns| ns[i] - ns[0]);
            let ratio = median(&measured, |ns| ns[i] / ns[0]);
            format!("{} +{ns:.0} ns ({ratio:.3}x)", cases[i].0)
        })
        .collect();
    println!(
        "trace_context summary (medians over {SUMMARY_ROUNDS} rounds of one block of {SUMMARY_BLOCK} \
         requests per variant): off {:.0} ns per request; {} (target: at most +150 ns)",
        median(&measured, |ns| ns[0]),
        added.join(", "),
    );
}

criterion_group! {
    name = benches;
    config = short_runs();
    targets = trace_context, summary
}
criterion_main!(benches);
