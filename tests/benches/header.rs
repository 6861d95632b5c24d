//! Writing the `Server-Timing` value of a request that recorded 1, 5 or 30 metrics
//! (target: under 1 µs for 5), against building the same value naively: one `format!` per
//! metric, joined. Only the writing is timed: each collector is filled before the clock starts.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use http::HeaderValue;
use server_timing_runtime::{Timings, describe, record};

#[path = "support/short_runs.rs"]
mod short_runs;
use short_runs::short_runs;

/// A metric as a handler records it: about a third with a description that has to be quoted,
/// a third with one that is a token, a third with none.
struct Recorded {
    name: &'static str,
    duration: Duration,
    description: Option<&'static str>,
}

const NAMES: [&str; 30] = [
    "db",
    "cache",
    "auth",
    "render",
    "upstream",
    "parse",
    "serialize",
    "queue",
    "lock",
    "io",
    "dns",
    "tls",
    "search",
    "index",
    "session",
    "acl",
    "geo",
    "pricing",
    "inventory",
    "cart",
    "user",
    "feed",
    "ads",
    "img",
    "cdn",
    "email",
    "audit",
    "metrics",
    "flags",
    "log",
];

fn workload(count: usize) -> Vec<Recorded> {
    (0..count)
        .map(|i| Recorded {
            name: NAMES[i],
            duration: Duration::from_nanos(1_234_567 + 98_765 * i as u64),
            description: match i % 3 {
                0 => Some("DB read"),
                1 => Some("hit"),
                _ => None,
            },
        })
        .collect()
}

fn filled(workload: &[Recorded]) -> Timings {
    let timings = Timings::new();
    timings.sync_scope(|| {
        for metric in workload {
            record(metric.name, metric.duration);
            if let Some(description) = metric.description {
                describe(metric.name, description);
            }
        }
    });
    timings
}

/// The same content, `total` included, one `String` per entry.
fn naive(started: Instant, workload: &[Recorded]) -> Option<HeaderValue> {
    let mut entries = vec![format!("total;dur={:.3}", started.elapsed().as_secs_f64() * 1e3)];
    for metric in workload {
        let millis = metric.duration.as_secs_f64() * 1e3;
        entries.push(match metric.description {
            Some(description) => format!("{};dur={millis:.3};desc=\"{description}\"", metric.name),
            None => format!("{};dur={millis:.3}", metric.name),
        });
    }
    HeaderValue::from_str(&entries.join(", ")).ok()
}

fn header(c: &mut Criterion) {
    let mut group = c.benchmark_group("header");
    for count in [1, 5, 30] {
        let workload = workload(count);
        group.bench_with_input(BenchmarkId::new("finish", count), &workload, |b, workload| {
            b.iter_batched_ref(
                || filled(workload),
                |timings| timings.finish(),
                BatchSize::SmallInput,
            );
        });
        group.bench_with_input(
            BenchmarkId::new("naive_format", count),
            &workload,
            |b, workload| {
                let started = Instant::now();
                b.iter(|| naive(started, black_box(workload)));
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = short_runs();
    targets = header
}
criterion_main!(benches);
