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
//! `propagator` is a peer: `off` plus the same job done by OpenTelemetry's own W3C
//! propagator (`opentelemetry_sdk::propagation::TraceContextPropagator`), both read against
//! `off` in the same rounds. Each does, per request:
//!
//! - ours (`incoming` − `off`): the request's `traceparent` and `tracestate` looked up in its
//!   `HeaderMap`, the `traceparent` parsed and checked, the `tracestate` checked member by
//!   member, a fresh span id for this server, the probe for an OpenTelemetry context (none
//!   here), and the `traceparent` and `tracestate` entries written into the response's
//!   `Server-Timing` value;
//! - theirs (`propagator` − `off`): the same two fields looked up through an `Extractor` over
//!   the request's `HeaderMap` (written here as `opentelemetry-http`'s reads it), the
//!   `traceparent` parsed and checked and the `tracestate` parsed into its members
//!   (`TraceContextPropagator::extract`, from the current context), a child span context with
//!   a fresh span id from the SDK's `RandomIdGenerator`, put in a context of its own, and its
//!   `traceparent` and `tracestate` injected through an `Injector` into the response's
//!   `HeaderMap` as two fields of their own (`inject_context`).
//!
//! The summary prints what each adds and their ratio (reported, no target).
//!
//! All run in one process, under the same load; the `summary` runs them as paired rounds, so
//! that their difference is what the entries cost.

use std::hint::black_box;

use criterion::{BatchSize, Bencher, Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};
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

/// A request's header map as OpenTelemetry's propagators read it, as `opentelemetry-http`'s
/// `HeaderExtractor` reads it.
struct Fields<'a>(&'a HeaderMap);

impl Extractor for Fields<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// A response's header map as OpenTelemetry's propagators write it, as `opentelemetry-http`'s
/// `HeaderInjector` writes it: a field that is not a valid name or value is left out.
struct FieldsMut<'a>(&'a mut HeaderMap);

impl Injector for FieldsMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// `off`, with the incoming trace context continued by OpenTelemetry's W3C propagator: read
/// from the request before the request's work, a child span id made, written into the
/// response after it.
fn one_request_with_propagator(options: &Options, request: &HeaderMap, response: &mut HeaderMap) -> bool {
    let propagator = TraceContextPropagator::new();
    let incoming = propagator.extract(&Fields(request));
    let span = incoming.span();
    let parent = span.span_context();
    let child = SpanContext::new(
        parent.trace_id(),
        RandomIdGenerator::default().new_span_id(),
        parent.trace_flags(),
        false,
        parent.trace_state().clone(),
    );
    let outgoing = opentelemetry::Context::new().with_remote_span_context(child);
    let sent = one_request(options, request, response);
    propagator.inject_context(&outgoing, &mut FieldsMut(response));
    sent
}

/// Checks that the propagator's response carries the request's trace and `tracestate`, so
/// that its benchmark times a trace context continued, not one rejected.
fn assert_propagator_continues((_, work, options, request): &Case) {
    let mut response = HeaderMap::new();
    work(options, request, &mut response);
    let incoming = request["traceparent"].to_str().expect("ASCII");
    let sent = response["traceparent"].to_str().expect("ASCII");
    assert_eq!(sent[..36], incoming[..36], "the request's trace kept");
    assert_ne!(sent[36..52], incoming[36..52], "a span id of its own");
    assert_eq!(response["tracestate"], request["tracestate"]);
}

/// A variant: its name, its work, its options and its request's headers.
type Case = (&'static str, Work, Options, HeaderMap);

/// The variants, in the order the summary prints them.
fn cases() -> [Case; 6] {
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
        (
            "propagator",
            one_request_with_propagator,
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
    assert_propagator_continues(&cases[5]);
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
    assert_propagator_continues(&cases[5]);
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
    // The peer is the last of `cases`, and printed apart.
    let peer = cases.len() - 1;
    let from_headers: Vec<String> = (1..peer).map(|i| added(i, 0, cases[i].0)).collect();
    let in_span_base = cases.len();
    let ours_added = median(&measured, |ns| ns[1] - ns[0]);
    let theirs_added = median(&measured, |ns| ns[peer] - ns[0]);
    let theirs_over_ours = median(&measured, |ns| (ns[peer] - ns[0]) / (ns[1] - ns[0]));
    println!(
        "trace_context summary (medians over {SUMMARY_ROUNDS} rounds of one block of {SUMMARY_BLOCK} \
         requests per variant): off {:.0} ns per request; {}; in a tracing-opentelemetry span: \
         off {:.0} ns, {} (target: at most +150 ns; lookups: the two header lookups alone); \
         peer, the incoming trace context continued by OpenTelemetry's TraceContextPropagator: \
         off + propagator {:.0} ns; ours added per request (incoming - off) {ours_added:.0} ns, \
         the propagator added per request (propagator - off) {theirs_added:.0} ns: \
         {theirs_over_ours:.2}x less than OpenTelemetry's propagator",
        median(&measured, |ns| ns[0]),
        from_headers.join(", "),
        median(&measured, |ns| ns[in_span_base]),
        added(in_span_base + 1, in_span_base, spanned[1].0),
        median(&measured, |ns| ns[peer]),
    );
}

criterion_group! {
    name = benches;
    config = short_runs();
    targets = trace_context, summary
}
criterion_main!(benches);
