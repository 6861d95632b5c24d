//! Runs one kind of timed call many times inside one scope, for counting instructions with
//! `valgrind --tool=callgrind` (`scripts/callgrind.sh` does the counting):
//!
//! ```text
//! call_cost pair|sync|async|plain-async N
//! ```
//!
//! `pair` reads the clock twice (what any timing of a call must do), `sync` calls a
//! `#[server_timing]` fn, `async` polls a `#[server_timing]` async fn to completion and
//! `plain-async` the same async fn without the attribute. Each variant runs alone in its own
//! process, so the difference of two runs with different `N` over their difference in `N` is
//! the instructions of one call, start-up cancelled out.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use server_timing_runtime::{server_timing, Timings};

#[server_timing("sync")]
#[inline(never)]
fn timed(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

#[server_timing("async")]
#[inline(never)]
async fn timed_async(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

#[inline(never)]
async fn plain_async(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

#[inline(never)]
fn clock_pair() -> Duration {
    let start = Instant::now();
    Instant::now().duration_since(start)
}

/// Wakes nothing: every future here completes in its first poll.
struct NoWake;

impl Wake for NoWake {
    fn wake(self: Arc<Self>) {}
}

#[derive(Clone, Copy)]
enum Variant {
    Pair,
    Sync,
    Async,
    PlainAsync,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let variant = match args.next().as_deref() {
        Some("pair") => Variant::Pair,
        Some("sync") => Variant::Sync,
        Some("async") => Variant::Async,
        Some("plain-async") => Variant::PlainAsync,
        _ => return usage(),
    };
    let Some(calls) = args.next().and_then(|n| n.parse::<u64>().ok()) else {
        return usage();
    };
    let waker = Waker::from(Arc::new(NoWake));
    let mut cx = Context::from_waker(&waker);
    Timings::new().sync_scope(|| {
        for i in 0..calls {
            // Read through `black_box`, so that the variant is chosen in every round alike.
            match black_box(variant) {
                Variant::Pair => drop(black_box(clock_pair())),
                Variant::Sync => drop(black_box(timed(i))),
                Variant::Async => drop(black_box(pin!(timed_async(i)).poll(&mut cx))),
                Variant::PlainAsync => drop(black_box(pin!(plain_async(i)).poll(&mut cx))),
            }
        }
    });
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: call_cost pair|sync|async|plain-async N");
    ExitCode::from(2)
}
