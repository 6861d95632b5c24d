//! What the actix `ServerTiming` middleware adds to one request, in process: the same handler
//! (`server_timing_examples::load::trivial`, 5 `#[server_timing]` fns, the `/trivial` of
//! `scripts/load-ab.sh`) with and without the middleware, against the 12 clock reads such a
//! request needs (2 per metric and 2 for `total`). Requests go through
//! `actix_web::test::call_service`, so the numbers are the middleware and recording cost
//! without the network's noise. The variants run in alternating blocks, each timed over its
//! own blocks only (see `support/interleave.rs`).
//!
//! After criterion's report it prints `added = with - without` and its ratio to the clock
//! reads, from a run of its own over interleaved blocks (target: at most 2.5x).
//!
//! `cargo bench -p server-timing-tests --bench actix_request` (append `-- summary` for the
//! summary alone: that filter matches none of criterion's benchmarks, so they are skipped,
//! and a filter that matches only them skips the summary)

use std::hint::black_box;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::rt::SystemRunner;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, Error, web};
use criterion::{Criterion, criterion_group, criterion_main};
use server_timing_examples::load::trivial;
use server_timing_runtime::actix::ServerTiming;
use server_timing_tests::bench_args::summary_wanted;

#[path = "support/interleave.rs"]
mod interleave;
use interleave::{BLOCK, Run, interleaved};
#[path = "support/paired.rs"]
mod paired;
use paired::{median, rounds};

/// The clock reads one timed request needs: a start and an elapsed read per metric, and the
/// same for `total`.
fn clock_reads() {
    for _ in 0..6 {
        let start = Instant::now();
        black_box(start.elapsed());
    }
}

/// Blocks of the summary run, per variant.
const SUMMARY_BLOCKS: usize = 2_000;

/// `count` requests made by `make` (actix-web does not name its request type).
fn requests<S, R, B>(system: &SystemRunner, app: &S, count: u64, make: fn() -> R)
where
    S: Service<R, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    for _ in 0..count {
        black_box(system.block_on(call_service(app, make())));
    }
}

fn bench(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    let without = system.block_on(init_service(App::new().route("/", web::get().to(trivial))));
    let with = system.block_on(init_service(
        App::new()
            .wrap(ServerTiming::new())
            .route("/", web::get().to(trivial)),
    ));

    // Compare like with like: the timed app sends `total` and the five metrics.
    let get = || TestRequest::get().uri("/").to_request();
    fn sent<B>(response: ServiceResponse<B>) -> usize {
        let value = response.headers().get("server-timing");
        value.map_or(0, |v| server_timing_runtime::parse(v.to_str().unwrap()).len())
    }
    assert_eq!(sent(system.block_on(call_service(&with, get()))), 6);
    assert_eq!(sent(system.block_on(call_service(&without, get()))), 0);

    let names = ["without_middleware", "with_middleware", "12_clock_reads"];
    let runs: [Run<'_>; 3] = [
        Box::new(|n| requests(&system, &without, n, get)),
        Box::new(|n| requests(&system, &with, n, get)),
        Box::new(|n| {
            for _ in 0..n {
                clock_reads();
            }
        }),
    ];

    let mut group = c.benchmark_group("actix_request/5_metrics");
    for (measured, name) in names.into_iter().enumerate() {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| interleaved(&runs, measured, iters))
        });
    }
    group.finish();
    if !summary_wanted() {
        return;
    }

    let runs: Vec<&dyn Fn(u64)> = runs.iter().map(|run| &**run).collect();
    let rounds = rounds(&runs, BLOCK, SUMMARY_BLOCKS);
    let [without, with, reads] = [0, 1, 2].map(|i| median(&rounds, |ns| ns[i]));
    let added = median(&rounds, |ns| ns[1] - ns[0]);
    let ratio = median(&rounds, |ns| (ns[1] - ns[0]) / ns[2]);
    println!(
        "actix_request summary (medians over {SUMMARY_BLOCKS} rounds of one block of {BLOCK} per variant): \
         without {without:.0} ns, with {with:.0} ns, added {added:.0} ns; 12 clock reads {reads:.0} ns; \
         added/reads {ratio:.2}x (target <= 2.5x)"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
