//! What `metrics::histograms()` adds to a request, over the `metrics` facade's own recording
//! cost, measured in one run.
//!
//! Three variants of one axum 0.8 app with `tower::ServerTimingLayer`, five `#[server_timing]`
//! metrics per request, through `tower::ServiceExt::oneshot` in process, a real Prometheus
//! recorder (metrics-exporter-prometheus, with buckets) installed:
//!
//! - `no_hook`: the layer alone;
//! - `facade_by_hand`: an `on_complete` hook making the same six `histogram!` recordings
//!   (`total` and the five metrics, same names, same labels) written out by hand: the
//!   facade's and the exporter's own cost, the baseline;
//! - `histograms`: `on_complete(histograms())`.
//!
//! `(histograms - facade_by_hand) / 6` is the cost `histograms()` adds per recording; the
//! summary line prints it as the median over paired rounds, with the facade's own cost per
//! recording beside it.
//!
//! `cargo bench -p server-timing-tests --bench histograms`

use std::hint::black_box;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::Criterion;
use http::{Request, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use server_timing_runtime::metrics::{HISTOGRAM, histograms};
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{Completed, server_timing};
use server_timing_tests::bench_args::summary_wanted;
use tokio::runtime::Runtime;
use tower::ServiceExt;

#[path = "support/interleave.rs"]
mod interleave;
#[path = "support/paired.rs"]
mod paired;
use interleave::{Run, interleaved};

/// `total` and the five metrics.
const RECORDINGS: f64 = 6.0;
const NAMES: [&str; 5] = ["parse", "auth", "db", "cache", "render"];

fn step(input: u64) -> u64 {
    black_box(input)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(7)
}

#[server_timing("parse")]
fn parse_step(x: u64) -> u64 {
    step(x)
}

#[server_timing("auth")]
fn auth_step(x: u64) -> u64 {
    step(x)
}

#[server_timing("db")]
async fn db_step(x: u64) -> u64 {
    step(x)
}

#[server_timing("cache")]
async fn cache_step(x: u64) -> u64 {
    step(x)
}

#[server_timing("render")]
fn render_step(x: u64) -> u64 {
    step(x)
}

async fn handler() -> String {
    let x = parse_step(1);
    let x = auth_step(x);
    let x = db_step(x).await;
    let x = cache_step(x).await;
    render_step(x).to_string()
}

/// The baseline: the recordings `histograms()` makes, by hand, with `'static` names.
fn facade_by_hand(done: &Completed<'_>) {
    let route = done.route().unwrap_or_default();
    metrics::histogram!(HISTOGRAM, "metric" => "total", "route" => route.to_owned())
        .record(done.total().as_secs_f64());
    for (metric, name) in done.metrics().iter().zip(NAMES) {
        if let Some(duration) = metric.duration() {
            metrics::histogram!(HISTOGRAM, "metric" => name, "route" => route.to_owned())
                .record(duration.as_secs_f64());
        }
    }
}

fn app(layer: ServerTimingLayer) -> Router {
    Router::new().route("/items/{id}", get(handler)).layer(layer)
}

async fn call(app: &Router) -> Response<Body> {
    let request = Request::builder().uri("/items/7").body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    // The hook runs at the body's end.
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, 64).await.unwrap();
    Response::from_parts(parts, Body::from(body))
}

fn run(runtime: &Runtime, app: &Router, requests: u64) {
    for _ in 0..requests {
        black_box(runtime.block_on(call(app)));
    }
}

fn main() {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(HISTOGRAM.to_owned()),
            &[0.0001, 0.001, 0.01, 0.1, 1.0],
        )
        .unwrap()
        .install_recorder()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let apps = [
        ("no_hook", app(ServerTimingLayer::new())),
        (
            "facade_by_hand",
            app(ServerTimingLayer::new().on_complete(facade_by_hand)),
        ),
        (
            "histograms",
            app(ServerTimingLayer::new().on_complete(histograms())),
        ),
    ];

    // Both hooks record the same series: six per request.
    for (name, app) in &apps[1..] {
        let before = handle.render();
        runtime.block_on(call(app));
        let after = handle.render();
        let count = |text: &str| -> f64 {
            text.lines()
                .filter(|l| l.starts_with(&format!("{HISTOGRAM}_count")))
                .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
                .sum()
        };
        assert_eq!(count(&after) - count(&before), RECORDINGS, "{name}");
    }

    let mut runs: Vec<Run<'_>> = apps
        .iter()
        .map(|(_, app)| -> Run<'_> { Box::new(|requests| run(&runtime, app, requests)) })
        .collect();
    // Untimed between blocks: the exporter's upkeep, so that recorded samples do not pile up.
    runs.push(Box::new(|_| handle.run_upkeep()));

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("histograms/5_metrics");
    for (measured, (name, _)) in apps.iter().enumerate() {
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| interleaved(&runs, measured, iters))
        });
    }
    group.finish();
    criterion.final_summary();
    if !summary_wanted() {
        return;
    }

    let timed: Vec<&dyn Fn(u64)> = runs[..apps.len()]
        .iter()
        .map(|run| &**run as &dyn Fn(u64))
        .collect();
    let rounds: Vec<Vec<f64>> = (0..60)
        .flat_map(|_| {
            let round = paired::rounds(&timed, 256, 1);
            handle.run_upkeep();
            round
        })
        .collect();
    let added = paired::median(&rounds, |r| (r[2] - r[1]) / RECORDINGS);
    let facade = paired::median(&rounds, |r| (r[1] - r[0]) / RECORDINGS);
    let whole = paired::median(&rounds, |r| r[2] / r[0]);
    println!(
        "summary: histograms() adds {added:.1} ns per recording over the facade's own {facade:.1} ns \
         (medians of 60 paired rounds of 256 requests; 6 recordings a request); \
         a request with it costs {whole:.2}x one without a hook"
    );
}
