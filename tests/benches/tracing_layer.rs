//! The cost of the `tracing` layer per span (created, entered, exited and closed), each
//! against a baseline measured in the same run:
//!
//! - `selected_in_request`: a span with a `server_timing` field inside a request, against the
//!   same span with the registry alone, the difference set against the two clock reads the
//!   layer needs (target: the layer adds at most 3 times their cost);
//! - `outside_request`: the same span outside any request (target: within 5% of the registry
//!   alone);
//! - `not_selected`: a span without the field inside a request (target: within 5%), also with
//!   an event mapped, when spans made in a request carry it (reported, no target);
//! - `selected_in_request/with_opentelemetry_layer`: a peer, the same span's same life inside
//!   a request under `tracing-opentelemetry`'s layer (its defaults, so context activation on)
//!   on the registry, its tracer from a real OpenTelemetry SDK `SdkTracerProvider` sampling
//!   every span (`Sampler::AlwaysOn`) with no span processor: each span is recorded (built,
//!   sampled, its attributes set, ended with its end time) and dropped at its end, so no
//!   export is timed. The summary sets what each layer adds to the registry alone side by
//!   side, and their ratio (reported, no target).
//!
//! The summary also times a floor: a layer that does only what any layer timing spans into
//! their request through the registry must do (keep the request in the span's extensions at
//! creation, read the clock at the first enter and at close, take the state out), and records
//! nothing. What our layer adds beyond it is its own work and the collector's.
//!
//! After criterion's report it prints a summary from paired rounds (see `support/paired.rs`):
//! each figure is the median over rounds of a ratio taken within one round. Append
//! `-- summary` for the summary alone.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use server_timing_runtime::Timings;
use server_timing_tests::bench_args::summary_wanted;
use tracing::Subscriber;
use tracing::dispatcher::{self, Dispatch};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

#[path = "support/paired.rs"]
mod paired;
#[path = "support/short_runs.rs"]
mod short_runs;
use paired::{median, rounds};
use short_runs::short_runs;

const SUMMARY_BLOCK: u64 = 1_024;
const SUMMARY_ROUNDS: usize = 2_000;

/// One span's whole life. Each fn is one callsite, so every subscriber sees the same one.
#[inline(never)]
fn selected_span() {
    let span = tracing::info_span!("query", server_timing = "db");
    span.in_scope(|| black_box(()));
}

#[inline(never)]
fn plain_span() {
    let span = tracing::info_span!("query", user = 7_u64);
    span.in_scope(|| black_box(()));
}

/// The two clock reads the layer cannot avoid: at first enter and at close.
#[inline(always)]
fn clock_pair() -> Duration {
    let start = Instant::now();
    let end = Instant::now();
    end.duration_since(start)
}

fn registry_alone() -> Dispatch {
    Dispatch::new(tracing_subscriber::registry())
}

/// The registry under a layer that does nothing: the cost of a layered subscriber as such,
/// which tells the layer's own cost from that of any layer.
fn with_empty_layer() -> Dispatch {
    Dispatch::new(tracing_subscriber::registry().with(tracing_subscriber::layer::Identity::new()))
}

fn with_layer() -> Dispatch {
    Dispatch::new(tracing_subscriber::registry().with(server_timing_runtime::tracing::layer()))
}

/// The peer (see the top of this file): `tracing-opentelemetry`'s layer with an SDK tracer
/// that samples every span and has no processor, so spans are recorded and never exported.
fn with_opentelemetry_layer() -> Dispatch {
    let tracer = SdkTracerProvider::builder()
        .with_sampler(Sampler::AlwaysOn)
        .build()
        .tracer("server-timing-bench");
    Dispatch::new(tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer)))
}

/// The floor (see the top of this file).
struct Floor;

struct FloorState {
    timings: Timings,
    first_enter: Option<Instant>,
}

impl<S> tracing_subscriber::Layer<S> for Floor
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, _: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let (Some(timings), Some(span)) = (Timings::current(), ctx.span(id)) else {
            return;
        };
        span.extensions_mut().insert(FloorState {
            timings,
            first_enter: None,
        });
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(state) = span.extensions_mut().get_mut::<FloorState>()
        {
            state.first_enter.get_or_insert_with(Instant::now);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id)
            && let Some(state) = span.extensions_mut().remove::<FloorState>()
        {
            black_box((state.timings, state.first_enter.map(|at| at.elapsed())));
        }
    }
}

fn with_floor() -> Dispatch {
    Dispatch::new(tracing_subscriber::registry().with(Floor))
}

fn with_event_mapped() -> Dispatch {
    Dispatch::new(
        tracing_subscriber::registry()
            .with(server_timing_runtime::tracing::layer().event("sqlx::query", "db")),
    )
}

/// `work` `n` times under `dispatch`, inside a request when `in_request`.
fn run(dispatch: &Dispatch, in_request: bool, work: fn(), n: u64) {
    dispatcher::with_default(dispatch, || {
        let times = || {
            for _ in 0..n {
                work();
            }
        };
        if in_request {
            Timings::new().sync_scope(times);
        } else {
            times();
        }
    });
}

fn bench(c: &mut Criterion, group: &str, in_request: bool, work: fn(), variants: &[(&str, Dispatch)]) {
    let mut group = c.benchmark_group(group);
    for (name, dispatch) in variants {
        group.bench_function(*name, |b| {
            dispatcher::with_default(dispatch, || {
                if in_request {
                    Timings::new().sync_scope(|| b.iter(work));
                } else {
                    b.iter(work);
                }
            });
        });
    }
    group.finish();
}

fn selected_in_request(c: &mut Criterion) {
    let mut group = c.benchmark_group("selected_in_request");
    group.bench_function("instant_now_pair", |b| b.iter(|| black_box(clock_pair())));
    group.finish();
    let variants = [
        ("registry_alone", registry_alone()),
        ("with_layer", with_layer()),
        ("with_opentelemetry_layer", with_opentelemetry_layer()),
    ];
    bench(c, "selected_in_request", true, selected_span, &variants);
}

fn outside_request(c: &mut Criterion) {
    let variants = [("registry_alone", registry_alone()), ("with_layer", with_layer())];
    bench(c, "outside_request", false, selected_span, &variants);
}

fn not_selected(c: &mut Criterion) {
    let variants = [
        ("registry_alone", registry_alone()),
        ("with_layer", with_layer()),
        ("with_event_mapped", with_event_mapped()),
    ];
    bench(c, "not_selected", true, plain_span, &variants);
}

fn summary(_: &mut Criterion) {
    if !summary_wanted() {
        return;
    }
    let (alone, ours, mapped) = (registry_alone(), with_layer(), with_event_mapped());
    let empty = with_empty_layer();
    let floor = with_floor();
    let theirs = with_opentelemetry_layer();
    let pair = |n: u64| {
        for _ in 0..n {
            black_box(clock_pair());
        }
    };
    let runs: [&dyn Fn(u64); 13] = [
        &pair,
        &|n| run(&alone, true, selected_span, n),
        &|n| run(&ours, true, selected_span, n),
        &|n| run(&alone, false, selected_span, n),
        &|n| run(&ours, false, selected_span, n),
        &|n| run(&alone, true, plain_span, n),
        &|n| run(&ours, true, plain_span, n),
        &|n| run(&mapped, true, plain_span, n),
        &|n| run(&empty, true, selected_span, n),
        &|n| run(&empty, false, selected_span, n),
        &|n| run(&empty, true, plain_span, n),
        &|n| run(&floor, true, selected_span, n),
        &|n| run(&theirs, true, selected_span, n),
    ];
    let rounds = rounds(&runs, SUMMARY_BLOCK, SUMMARY_ROUNDS);
    let ns = |i: usize| median(&rounds, |r| r[i]);
    let added = median(&rounds, |r| (r[2] - r[1]) / r[0]);
    let outside = median(&rounds, |r| r[4] / r[3]);
    let unselected = median(&rounds, |r| r[6] / r[5]);
    let carried = median(&rounds, |r| r[7] / r[5]);
    let added_over_empty = median(&rounds, |r| (r[2] - r[8]) / r[0]);
    let outside_over_empty = median(&rounds, |r| r[4] / r[9]);
    let unselected_over_empty = median(&rounds, |r| r[6] / r[10]);
    let floor_added = median(&rounds, |r| (r[11] - r[1]) / r[0]);
    let ours_added = median(&rounds, |r| r[2] - r[1]);
    let theirs_added = median(&rounds, |r| r[12] - r[1]);
    let theirs_over_ours = median(&rounds, |r| (r[12] - r[1]) / (r[2] - r[1]));
    println!(
        "tracing_layer summary (medians over {SUMMARY_ROUNDS} rounds of one block of {SUMMARY_BLOCK} spans per variant): \
         a pair of Instant::now() {:.1} ns; \
         selected span in a request: registry alone {:.1} ns, with the layer {:.1} ns, added = {added:.2}x the pair (target: at most 3x); \
         selected span outside any request: {:.1} ns against {:.1} ns = {outside:.3}x (target: at most 1.05x); \
         span without the field in a request: {:.1} ns against {:.1} ns = {unselected:.3}x (target: at most 1.05x); \
         the same with an event mapped (spans carry the request): {:.1} ns = {carried:.3}x; \
         against the registry under an empty layer ({:.1} / {:.1} / {:.1} ns): added {added_over_empty:.2}x the pair, \
         outside {outside_over_empty:.3}x, without the field {unselected_over_empty:.3}x; \
         the floor (request and first enter kept in the span's extensions, nothing recorded): \
         {:.1} ns, added = {floor_added:.2}x the pair; \
         peer, the same span in a request under tracing-opentelemetry's layer (SDK tracer, \
         always sampled, no processor): {:.1} ns; ours added per span {ours_added:.1} ns, \
         tracing-opentelemetry added per span {theirs_added:.1} ns: \
         {theirs_over_ours:.2}x less than tracing-opentelemetry's layer",
        ns(0),
        ns(1),
        ns(2),
        ns(4),
        ns(3),
        ns(6),
        ns(5),
        ns(7),
        ns(8),
        ns(9),
        ns(10),
        ns(11),
        ns(12),
    );
}

criterion_group! {
    name = benches;
    config = short_runs();
    targets = selected_in_request, outside_request, not_selected, summary
}
criterion_main!(benches);
