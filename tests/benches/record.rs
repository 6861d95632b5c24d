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
//! That recording a static name allocates nothing after the first time is shown by
//! `tests/tests/collector_memory.rs` with a counting allocator, not here.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::Context;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use futures::task::noop_waker_ref;
use server_timing_runtime::{record, server_timing, timer, Timings};

#[path = "support/short_runs.rs"]
mod short_runs;
use short_runs::short_runs;

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

criterion_group! {
    name = benches;
    config = short_runs();
    targets = outside_scope, in_scope, explicit_apis, async_in_scope
}
criterion_main!(benches);
