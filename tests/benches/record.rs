//! The cost of one timed call. Each group holds its own baseline, measured in the same run, so
//! that the ratio means something on a loaded machine:
//!
//! - `outside_scope`: an instrumented fn against the same fn without the attribute (target:
//!   within 2 ns);
//! - `in_scope`: an instrumented fn against the two clock reads it cannot avoid (target: at
//!   most 1.2 times their cost);
//! - `explicit_apis`: `record` with a static name and a `timer` guard, against the same reads;
//! - `async_in_scope`: an instrumented async fn polled to completion against the same clock
//!   reads (target: at most 1.2 times their cost), and against the same fn without the
//!   attribute.
//!
//! Inside a scope the whole measurement loop runs in one `sync_scope`, as a request's handler
//! does: repeated names are aggregated, so the collector stays one entry long.
//!
//! After criterion's report it prints a summary from paired rounds (see
//! `support/paired.rs`): each figure is the median over rounds of a ratio taken within one
//! round, so that it holds on a host whose speed moves between criterion's groups. Append
//! `-- summary` for the summary alone.
//!
//! That recording a static name allocates nothing after the first time is shown by
//! `tests/tests/hardening/memory.rs` with a counting allocator, not here.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::Context;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures::task::noop_waker_ref;
use server_timing_runtime::{Timings, record, server_timing, timer};
use server_timing_tests::bench_args::summary_wanted;

#[path = "support/paired.rs"]
mod paired;
#[path = "support/short_runs.rs"]
mod short_runs;
use paired::{median, rounds};
use short_runs::short_runs;

/// Calls per block of the summary, and rounds.
const SUMMARY_BLOCK: u64 = 1_024;
const SUMMARY_ROUNDS: usize = 4_000;

// Out of line, so that both fns cost one call and the attribute is the only difference.
#[inline(never)]
fn plain(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

#[server_timing("hot")]
#[inline(never)]
fn instrumented(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

#[inline(never)]
async fn plain_async(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

#[server_timing("hot_async")]
#[inline(never)]
async fn instrumented_async(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

/// What any timing of a call must do at least: read the clock before and after.
#[inline(always)]
fn clock_pair() -> Duration {
    let start = Instant::now();
    let end = Instant::now();
    end.duration_since(start)
}

fn outside_scope(c: &mut Criterion) {
    let mut group = c.benchmark_group("outside_scope");
    group.bench_function("plain_fn", |b| b.iter(|| plain(black_box(1))));
    group.bench_function("instrumented_fn", |b| b.iter(|| instrumented(black_box(1))));
    group.finish();
}

fn in_scope(c: &mut Criterion) {
    let mut group = c.benchmark_group("in_scope");
    group.bench_function("instant_now_pair", |b| b.iter(|| black_box(clock_pair())));
    group.bench_function("plain_fn", |b| {
        Timings::new().sync_scope(|| b.iter(|| plain(black_box(1))));
    });
    group.bench_function("instrumented_fn", |b| {
        Timings::new().sync_scope(|| b.iter(|| instrumented(black_box(1))));
    });
    group.finish();
}

fn explicit_apis(c: &mut Criterion) {
    let mut group = c.benchmark_group("explicit_apis");
    group.bench_function("instant_now_pair", |b| b.iter(|| black_box(clock_pair())));
    group.bench_function("record_static_name", |b| {
        Timings::new().sync_scope(|| b.iter(|| record("db", black_box(Duration::from_micros(3)))));
    });
    group.bench_function("timer", |b| {
        Timings::new().sync_scope(|| b.iter(|| drop(black_box(timer("db")))));
    });
    group.finish();
}

fn async_in_scope(c: &mut Criterion) {
    let mut group = c.benchmark_group("async_in_scope");
    let mut cx = Context::from_waker(noop_waker_ref());
    group.bench_function("instant_now_pair", |b| b.iter(|| black_box(clock_pair())));
    group.bench_function("plain_async_fn", |b| {
        Timings::new().sync_scope(|| {
            b.iter(|| black_box(pin!(plain_async(black_box(1))).poll(&mut cx)));
        });
    });
    group.bench_function("instrumented_async_fn", |b| {
        Timings::new().sync_scope(|| {
            b.iter(|| black_box(pin!(instrumented_async(black_box(1))).poll(&mut cx)));
        });
    });
    group.finish();
}

/// Polls `future` once: every future here completes in its first poll.
fn poll_once<F: Future>(future: F) -> impl Sized {
    black_box(pin!(future).poll(&mut Context::from_waker(noop_waker_ref())))
}

fn summary(_: &mut Criterion) {
    if !summary_wanted() {
        return;
    }
    let times = |call: &'static dyn Fn()| {
        move |n| {
            for _ in 0..n {
                call();
            }
        }
    };
    let plain_fn = times(&|| {
        black_box(plain(black_box(1)));
    });
    let instrumented_fn = times(&|| {
        black_box(instrumented(black_box(1)));
    });
    let pair = times(&|| {
        black_box(clock_pair());
    });
    let plain_async_fn = times(&|| {
        poll_once(plain_async(black_box(1)));
    });
    let instrumented_async_fn = times(&|| {
        poll_once(instrumented_async(black_box(1)));
    });

    let outside = rounds(&[&plain_fn, &instrumented_fn], SUMMARY_BLOCK, SUMMARY_ROUNDS);
    let outside_added = median(&outside, |ns| ns[1] - ns[0]);
    let inside = Timings::new().sync_scope(|| {
        let runs: [&dyn Fn(u64); 4] = [&pair, &instrumented_fn, &plain_async_fn, &instrumented_async_fn];
        rounds(&runs, SUMMARY_BLOCK, SUMMARY_ROUNDS)
    });
    let [pair, sync, plain_async, timed_async] = [0, 1, 2, 3].map(|i| median(&inside, |ns| ns[i]));
    let sync_ratio = median(&inside, |ns| ns[1] / ns[0]);
    let async_ratio = median(&inside, |ns| ns[3] / ns[0]);
    let async_added_ratio = median(&inside, |ns| (ns[3] - ns[2]) / ns[0]);
    println!(
        "record summary (medians over {SUMMARY_ROUNDS} rounds of one block of {SUMMARY_BLOCK} calls per variant): \
         outside any scope, the attribute adds {outside_added:.2} ns (target: within 2 ns); \
         in a scope, against a pair of Instant::now() ({pair:.1} ns): \
         sync fn {sync:.1} ns = {sync_ratio:.2}x, async fn {timed_async:.1} ns = {async_ratio:.2}x \
         (the same async fn without the attribute: {plain_async:.1} ns; added {async_added_ratio:.2}x) \
         (target: at most 1.2x)"
    );
}

criterion_group! {
    name = benches;
    config = short_runs();
    targets = outside_scope, in_scope, explicit_apis, async_in_scope, summary
}
criterion_main!(benches);
