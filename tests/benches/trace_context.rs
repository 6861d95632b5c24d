//! What trace context costs a request (target: at most 150 ns more than the same header
//! without it): a collector made for a request, five metrics recorded, the header appended to
//! the response (`server_timing_examples::trace_request`). `off` is the baseline; `incoming`
//! continues the request's `traceparent` and passes its `tracestate` on, `traceparent_only`
//! continues one without `tracestate`, `fresh` starts a new trace. These run with no
//! subscriber, so the probe for an OpenTelemetry context (this crate builds every feature)
//! finds none and the ids come from the headers.
//!
//! `opentelemetry` is the same request inside an entered `tracing` span of a real
//! `tracing-opentelemetry` layer and SDK tracer, so the ids come from that span, against
//! `off_in_span`, the same request in the same span with trace context off: what a service
//! that traces with OpenTelemetry pays. The span is made once a block, as a service's tracing
//! middleware makes it whether or not trace context is on.
//!
//! All run in one process, under the same load; the `summary` runs them as paired rounds, so
//! that their difference is what the entries cost.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Bencher, Criterion};
use http::HeaderMap;
use server_timing_examples::trace_request::{headers, one_request, requests};
use server_timing_runtime::Options;
use server_timing_tests::opentelemetry_span::{assert_ids_from_span, dispatch, in_span};

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

/// The variants that run inside a span of `tracing-opentelemetry`, in the summary's order.
fn cases_in_span() -> [(&'static str, Options, HeaderMap); 2] {
    [
        ("off_in_span", Options::new(), headers(true, true)),
        (
            "opentelemetry",
            Options::new().trace_context(true),
            headers(true, true),
        ),
    ]
}

fn trace_context(c: &mut Criterion) {
    let mut group = c.benchmark_group("trace_context");
    let iterate = |b: &mut Bencher<'_>, options: &Options, request: &HeaderMap| {
        b.iter_batched_ref(
            HeaderMap::new,
            |response| one_request(black_box(options), black_box(request), response),
            BatchSize::SmallInput,
        );
    };
    for (name, options, request) in &cases() {
        group.bench_function(*name, |b| iterate(b, options, request));
    }
    let dispatch = dispatch();
    in_span(&dispatch, || assert_ids_from_span(&cases_in_span()[1].2));
    for (name, options, request) in &cases_in_span() {
        group.bench_function(*name, |b| in_span(&dispatch, || iterate(b, options, request)));
    }
    group.finish();
}

/// The same as paired rounds (each round runs one block of each, back to back), so that a
/// shared machine's drift cancels out of the differences: the cost trace context adds, each
/// against its own baseline.
fn summary(_: &mut Criterion) {
    let dispatch = dispatch();
    let cases = cases();
    let spanned = cases_in_span();
    in_span(&dispatch, || assert_ids_from_span(&spanned[1].2));
    let run = |(_, options, request): &(&str, Options, HeaderMap)| {
        let options = options.clone();
        let request = request.clone();
        move |n: u64| requests(&options, &request, n)
    };
    let run_in_span = |case: &(&str, Options, HeaderMap)| {
        let run = run(case);
        let dispatch = dispatch.clone();
        move |n: u64| in_span(&dispatch, || run(n))
    };
    let runs = cases.each_ref().map(run);
    let runs_in_span = spanned.each_ref().map(run_in_span);
    let mut all: Vec<&dyn Fn(u64)> = runs.iter().map(|r| r as &dyn Fn(u64)).collect();
    all.extend(runs_in_span.iter().map(|r| r as &dyn Fn(u64)));
    let measured = rounds(&all, SUMMARY_BLOCK, SUMMARY_ROUNDS);
    let added = |i: usize, base: usize, name: &str| {
        let ns = median(&measured, |ns| ns[i] - ns[base]);
        let ratio = median(&measured, |ns| ns[i] / ns[base]);
        format!("{name} +{ns:.0} ns ({ratio:.3}x)")
    };
    let from_headers: Vec<String> = (1..cases.len()).map(|i| added(i, 0, cases[i].0)).collect();
    let in_span_base = cases.len();
    println!(
        "trace_context summary (medians over {SUMMARY_ROUNDS} rounds of one block of {SUMMARY_BLOCK} \
         requests per variant): off {:.0} ns per request; {}; in a tracing-opentelemetry span: \
         off {:.0} ns, {} (target: at most +150 ns)",
        median(&measured, |ns| ns[0]),
        from_headers.join(", "),
        median(&measured, |ns| ns[in_span_base]),
        added(in_span_base + 1, in_span_base, spanned[1].0),
    );
}

criterion_group! {
    name = benches;
    config = short_runs();
    targets = trace_context, summary
}
criterion_main!(benches);
