//! Runs one kind of timed call many times inside one scope, for counting instructions with
//! `valgrind --tool=callgrind` (`scripts/callgrind.sh` does the counting):
//!
//! ```text
//! call_cost pair|sync|async|plain-async|span-registry|span-layer N
//! call_cost trace-off|trace-lookups|trace-fresh|trace-traceparent|trace-tracestate N
//! ```
//!
//! `pair` reads the clock twice (what any timing of a call must do), `sync` calls a
//! `#[server_timing]` fn, `async` polls a `#[server_timing]` async fn to completion and
//! `plain-async` the same async fn without the attribute. `span-registry` creates, enters,
//! exits and closes a `tracing` span with a `server_timing` field under tracing-subscriber's
//! registry alone, `span-layer` the same span with `server_timing_runtime::tracing::layer()`
//! on the registry. The `trace-` variants each run N of the `trace_context` bench's requests
//! on the collector (`server_timing_examples::trace_request`): `off` without trace context,
//! `lookups` the same after the two header lookups an incoming trace context needs,
//! `fresh` with trace context and no `traceparent`, `traceparent` continuing one, `tracestate`
//! continuing one with a `tracestate` too. Each variant runs alone in its own process, so the
//! difference of two runs with different `N` over their difference in `N` is the
//! instructions of one call, start-up cancelled out.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use server_timing_examples::trace_request::{
    Work, headers, one_request, one_request_after_lookups, requests,
};
use server_timing_runtime::{Options, Timings, server_timing};
use tracing_subscriber::layer::SubscriberExt;

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
fn selected_span() {
    let span = tracing::info_span!("query", server_timing = "db");
    span.in_scope(|| black_box(()));
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
    Span,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(name), Some(n)) = (args.next(), args.next().and_then(|n| n.parse::<u64>().ok())) else {
        return usage();
    };
    let variant = match name.as_str() {
        "pair" => Variant::Pair,
        "sync" => Variant::Sync,
        "async" => Variant::Async,
        "plain-async" => Variant::PlainAsync,
        "span-registry" => {
            tracing::subscriber::set_global_default(tracing_subscriber::registry())
                .expect("the first subscriber");
            Variant::Span
        }
        "span-layer" => {
            let subscriber = tracing_subscriber::registry().with(server_timing_runtime::tracing::layer());
            tracing::subscriber::set_global_default(subscriber).expect("the first subscriber");
            Variant::Span
        }
        // Whole requests, each in a collector of its own: no enclosing scope.
        trace => {
            let on = Options::new().trace_context(true);
            let (work, options, request): (Work, _, _) = match trace {
                "trace-off" => (one_request, Options::new(), headers(true, true)),
                "trace-lookups" => (one_request_after_lookups, Options::new(), headers(true, true)),
                "trace-fresh" => (one_request, on, headers(false, false)),
                "trace-traceparent" => (one_request, on, headers(true, false)),
                "trace-tracestate" => (one_request, on, headers(true, true)),
                _ => return usage(),
            };
            requests(work, &options, &request, n);
            return ExitCode::SUCCESS;
        }
    };
    let waker = Waker::from(Arc::new(NoWake));
    let mut cx = Context::from_waker(&waker);
    Timings::new().sync_scope(|| {
        for i in 0..n {
            // Read through `black_box`, so that the variant is chosen in every round alike.
            match black_box(variant) {
                Variant::Pair => drop(black_box(clock_pair())),
                Variant::Sync => drop(black_box(timed(i))),
                Variant::Async => drop(black_box(pin!(timed_async(i)).poll(&mut cx))),
                Variant::PlainAsync => drop(black_box(pin!(plain_async(i)).poll(&mut cx))),
                Variant::Span => selected_span(),
            }
        }
    });
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: call_cost pair|sync|async|plain-async|span-registry|span-layer N\n       \
         call_cost trace-off|trace-lookups|trace-fresh|trace-traceparent|trace-tracestate N"
    );
    ExitCode::from(2)
}
