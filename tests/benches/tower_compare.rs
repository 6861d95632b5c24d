//! One axum 0.8 app, five timed steps per request: `tower::ServerTimingLayer` with
//! `#[server_timing]` fns, against `axum-server-timing` 3 with its request extension, against
//! no layer at all. Requests go through `tower::ServiceExt::oneshot` in process, so the numbers
//! are the middleware and recording cost, not the network's. The variants run in alternating
//! blocks (see [`BLOCK`]); each is timed over its own blocks only.
//!
//! After criterion's report it prints each layer's added time and how many times less ours
//! adds, as medians over paired rounds (see `support/paired.rs`).
//!
//! `cargo bench -p server-timing-tests --bench tower_compare` (append `-- summary` for the
//! summary alone)

use std::hint::black_box;
use std::time::Instant;

use axum::body::Body;
use axum::routing::get;
use axum::{Extension, Router};
use axum_server_timing::ServerTimingExtension;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use server_timing_runtime::server_timing;
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_tests::bench_args::summary_wanted;
use tokio::runtime::Runtime;
use tower::ServiceExt;

#[path = "support/interleave.rs"]
mod interleave;
use interleave::{BLOCK, Run, interleaved};
#[path = "support/paired.rs"]
mod paired;
use paired::{median, rounds};

/// Blocks of the summary run, per variant.
const SUMMARY_BLOCKS: usize = 2_000;

/// The work of one step: small, so that the measurement is dominated by what times it.
fn step(input: u64) -> u64 {
    black_box(input)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(7)
}

#[server_timing("parse", desc = "Parse input")]
fn parse_step(x: u64) -> u64 {
    step(x)
}

#[server_timing("auth", desc = "Check session")]
fn auth_step(x: u64) -> u64 {
    step(x)
}

#[server_timing("db", desc = "DB read")]
async fn db_step(x: u64) -> u64 {
    step(x)
}

#[server_timing("cache", desc = "Cache fill")]
async fn cache_step(x: u64) -> u64 {
    step(x)
}

#[server_timing("render", desc = "Render page")]
fn render_step(x: u64) -> u64 {
    step(x)
}

async fn ours() -> String {
    let x = parse_step(1);
    let x = auth_step(x);
    let x = db_step(x).await;
    let x = cache_step(x).await;
    render_step(x).to_string()
}

const STEPS: [(&str, &str); 5] = [
    ("parse", "Parse input"),
    ("auth", "Check session"),
    ("db", "DB read"),
    ("cache", "Cache fill"),
    ("render", "Render page"),
];

async fn theirs(Extension(timing): Extension<ServerTimingExtension>) -> String {
    let mut x = 1;
    for (name, description) in STEPS {
        let started = Instant::now();
        x = step(x);
        let elapsed = started.elapsed();
        if let Ok(mut timing) = timing.lock() {
            timing.record_timing(name.to_owned(), elapsed, Some(description.to_owned()));
        }
    }
    x.to_string()
}

async fn untimed() -> String {
    let mut x = 1;
    for _ in STEPS {
        x = step(x);
    }
    x.to_string()
}

async fn call(app: &Router) -> Response<Body> {
    let request = Request::builder().uri("/").body(Body::empty()).unwrap();
    app.clone().oneshot(request).await.unwrap()
}

fn run(runtime: &Runtime, app: &Router, requests: u64) {
    for _ in 0..requests {
        black_box(runtime.block_on(call(app)));
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    // Each router finalized with its state, as `axum::serve` runs it (`into_make_service`
    // does the same): its layers are applied once, not again for every request.
    let apps: [(&str, Router); 3] = [
        ("no_layer", Router::new().route("/", get(untimed)).with_state(())),
        (
            "server_timing_runtime",
            Router::new()
                .route("/", get(ours))
                .layer(ServerTimingLayer::new())
                .with_state(()),
        ),
        (
            "axum_server_timing_3",
            Router::new()
                .route("/", get(theirs))
                .layer(axum_server_timing::ServerTimingLayer::new("total"))
                .with_state(()),
        ),
    ];

    // Compare like with like: both layers send `total` and the five steps.
    for (name, app) in &apps {
        let response = runtime.block_on(call(app));
        let metrics = server_timing_runtime::parse_headers(response.headers());
        let expected = if *name == "no_layer" { 0 } else { 1 + STEPS.len() };
        assert_eq!(metrics.len(), expected, "{name}: {metrics:?}");
    }

    let runs: Vec<Run<'_>> = apps
        .iter()
        .map(|(_, app)| -> Run<'_> { Box::new(|requests| run(&runtime, app, requests)) })
        .collect();
    let mut group = c.benchmark_group("tower_compare/5_metrics");
    for (measured, (name, _)) in apps.iter().enumerate() {
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| interleaved(&runs, measured, iters))
        });
    }
    group.finish();
    if !summary_wanted() {
        return;
    }

    let runs: Vec<&dyn Fn(u64)> = runs.iter().map(|run| &**run).collect();
    let rounds = rounds(&runs, BLOCK, SUMMARY_BLOCKS);
    let ours = median(&rounds, |ns| ns[1] - ns[0]);
    let theirs = median(&rounds, |ns| ns[2] - ns[0]);
    let less = median(&rounds, |ns| (ns[2] - ns[0]) / (ns[1] - ns[0]));
    println!(
        "tower_compare summary (medians over {SUMMARY_BLOCKS} rounds of one block of {BLOCK} per variant): \
         added: ours {ours:.0} ns, axum-server-timing {theirs:.0} ns; ours is {less:.2}x less (target >= 2.7x)"
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
