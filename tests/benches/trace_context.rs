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
//! `incoming_32_members` (not in the summary) is `incoming` with the most members a
//! `tracestate` may have, each key checked against the others: what a request with a
//! long `tracestate` costs, chosen by whoever sends it.
//!
//! `lookups` is `off` plus the two lookups of the request's `traceparent` and `tracestate`
//! fields in `http`'s `HeaderMap`, which reading an incoming trace context needs whatever
//! is done with it: the share of `incoming` that is `http`'s, a floor for it.
//!
//! All run in one process, under the same load; the `summary` runs them as paired rounds, so
//! that their difference is what the entries cost.

use std::hint::black_box;

use criterion::{BatchSize, Bencher, Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue};
use server_timing_examples::trace_request::{
    Work, headers, one_request, one_request_after_lookups, requests,
};
use server_timing_runtime::Options;
use server_timing_tests::bench_args::summary_wanted;
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

/// A variant: its name, its work, its options and its request's headers.
type Case = (&'static str, Work, Options, HeaderMap);

/// The variants, in the order the summary prints them.
fn cases() -> [Case; 5] {
    let on = Options::new().trace_context(true);
    [
        ("off", one_request, Options::new(), headers(true, true)),
        ("incoming", one_request, on.clone(), headers(true, true)),
        ("traceparent_only", one_request, on.clone(), headers(true, false)),
        ("fresh", one_request, on, headers(false, false)),
        (
            "lookups",
            one_request_after_lookups,
            Options::new(),
            headers(true, true),
        ),
    ]
}

/// The variants that run inside a span of `tracing-opentelemetry`, in the summary's order.
fn cases_in_span() -> [Case; 2] {
    let on = Options::new().trace_context(true);
    [
        ("off_in_span", one_request, Options::new(), headers(true, true)),
        ("opentelemetry", one_request, on, headers(true, true)),
    ]
}

/// `incoming` with the most members a `tracestate` may have.
fn incoming_32_members() -> Case {
    let mut request = headers(true, false);
    let members: Vec<String> = (0..32).map(|i| format!("k{i:02}=v{i:07}")).collect();
    let tracestate = HeaderValue::from_str(&members.join(",")).expect("printable ASCII");
    request.insert("tracestate", tracestate);
    let on = Options::new().trace_context(true);
    ("incoming_32_members", one_request, on, request)
}

/// Checks that `case`'s response carries its request's `tracestate`, so that its benchmark
/// times a `tracestate` passed on, not one rejected.
fn assert_passes_on_the_tracestate((_, work, options, request): &Case) {
    let mut response = HeaderMap::new();
    work(options, request, &mut response);
    let sent = response["server-timing"].to_str().expect("ASCII");
    let tracestate = request["tracestate"].to_str().expect("ASCII");
    assert!(
        sent.contains(&format!("tracestate;desc=\"{tracestate}\"")),
        "{sent}"
    );
}

fn trace_context(c: &mut Criterion) {
    let mut group = c.benchmark_group("trace_context");
    let iterate = |b: &mut Bencher<'_>, (_, work, options, request): &Case| {
        b.iter_batched_ref(
            HeaderMap::new,
            |response| work(black_box(options), black_box(request), response),
            BatchSize::SmallInput,
        );
    };
    let cases = cases();
    assert_passes_on_the_tracestate(&cases[1]);
    for case in &cases {
        group.bench_function(case.0, |b| iterate(b, case));
    }
    let long_state = incoming_32_members();
    assert_passes_on_the_tracestate(&long_state);
    group.bench_function(long_state.0, |b| iterate(b, &long_state));
    let dispatch = dispatch();
    in_span(&dispatch, || assert_ids_from_span(&cases_in_span()[1].3));
    for case in &cases_in_span() {
        group.bench_function(case.0, |b| in_span(&dispatch, || iterate(b, case)));
    }
    group.finish();
}

/// The same as paired rounds (each round runs one block of each, back to back), so that a
/// shared machine's drift cancels out of the differences: the cost trace context adds, each
/// against its own baseline.
fn summary(_: &mut Criterion) {
    if !summary_wanted() {
        return;
    }
    let dispatch = dispatch();
    let cases = cases();
    let spanned = cases_in_span();
    assert_passes_on_the_tracestate(&cases[1]);
    in_span(&dispatch, || assert_ids_from_span(&spanned[1].3));
    let run = |(_, work, options, request): &Case| {
        let (work, options, request) = (*work, options.clone(), request.clone());
        move |n: u64| requests(work, &options, &request, n)
    };
    let run_in_span = |case: &Case| {
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
         off {:.0} ns, {} (target: at most +150 ns; lookups: the two header lookups alone)",
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
