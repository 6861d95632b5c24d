//! Parsing a realistic corpus of `Server-Timing` values (what CDNs, gateways and origins send,
//! 1 to 30 entries, quoted descriptions and escapes): `server_timing_runtime::parse` side by
//! side with the nom-based `server-timing` crate 0.1.0.
//!
//! `server-timing` returns borrowed names and raw parameter values; `server-timing+owned`
//! adds what it takes to reach `parse`'s output (owned name and description, `dur` as a
//! number), so the two rows compare like with like; the raw row is the lower bound.
//!
//! Run: `cargo bench -p server-timing-tests --bench parse`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use server_timing_runtime::{ParsedMetric, parse};

/// One origin's many-step breakdown: `entries` entries, every third with a quoted
/// description, some of which need escapes.
fn origin(entries: usize) -> String {
    (0..entries)
        .map(|i| match i % 3 {
            0 => format!("step{i};dur={}.{:03}", 3 + i * 7 % 41, i * 37 % 1000),
            1 => format!(
                "db{i};dur={}.{};desc=\"SELECT \\\"orders\\\" #{i}\"",
                i % 13,
                i % 10
            ),
            _ => format!("cache{i};desc=\"miss, revalidated\";dur=0.{i}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn corpus() -> Vec<String> {
    let fixed = [
        // Single CDN entries.
        "cdn-cache;desc=HIT",
        "cfRequestDuration;dur=43.512",
        // Cloudflare's network-layer entry: one long quoted description.
        "cfL4;desc=\"?proto=TCP&rtt=12034&min_rtt=11023&rtt_var=3210&sent=7&recv=9&lost=0&retrans=0\
         &sent_bytes=3412&recv_bytes=1984&delivery_rate=312544&cwnd=253&unsent_bytes=0&cid=5f1c2a\
         &ts=128&x=0\", cfEdge;dur=12, cfOrigin;dur=87",
        // Fastly and Akamai styles, with spaces after the separators.
        "cdn-cache; desc=MISS, edge; dur=12, origin; dur=145",
        "cdn-cache; desc=HIT, edge; dur=1, origin; dur=0, ak_p; desc=\"1700000000000_400123_\
         98765432_45_1234_7_0_-\";dur=1",
        // A gateway in front of an application.
        "gateway;dur=3.2;desc=\"Kong 3.4\", auth;dur=11.04;desc=\"JWT verify\", upstream;dur=96.8",
        // Rails-style instrumentation names.
        "sql.active_record;dur=12.34, render_template.action_view;dur=5.67, \
         render_partial.action_view;dur=1.2, process_action.action_controller;dur=40.01, \
         cache_read.active_support;dur=0.4;desc=\"views/products/index\"",
        // Application metrics with escaped descriptions.
        "total;dur=123.4, db;dur=53;desc=\"Primary \\\"users\\\" DB\", app;dur=47.2;desc=\"C:\\\\render\"",
    ];
    let mut corpus: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
    // CDN and origin entries in one value, as a browser receives them after the CDN appended.
    for entries in [5, 12, 20, 30] {
        corpus.push(format!(
            "cdn-cache;desc=MISS, edge;dur=4, {}",
            origin(entries - 2)
        ));
    }
    corpus.push(origin(30));
    corpus
}

/// The `server-timing` crate's output in `parse`'s shape: owned name and description, first
/// `dur`/`desc` (case-insensitive) winning, `dur` as a number.
fn nom_to_owned(value: &str) -> Vec<ParsedMetric> {
    let Ok(metrics) = server_timing::parse_server_timing(value) else {
        return Vec::new();
    };
    metrics
        .into_iter()
        .map(|(name, params)| {
            let first = |key: &str| {
                params
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            };
            ParsedMetric {
                name: name.to_owned(),
                duration: first("dur").and_then(|v| v.parse().ok()).unwrap_or(0.0),
                description: first("desc").map(|v| v.to_string()).unwrap_or_default(),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let corpus = corpus();
    let entries: usize = corpus.iter().map(|h| parse(h).len()).sum();
    let bytes: usize = corpus.iter().map(String::len).sum();
    for value in &corpus {
        // Both parsers must read the whole corpus, and read it alike, for the rows to compare.
        assert!(server_timing::parse_server_timing(value).is_ok(), "{value:?}");
        assert_eq!(parse(value), nom_to_owned(value), "{value:?}");
    }
    eprintln!(
        "corpus: {} values, {entries} entries, {bytes} bytes",
        corpus.len()
    );

    let mut group = c.benchmark_group("parse_corpus");
    group.throughput(Throughput::Bytes(u64::try_from(bytes).unwrap_or(u64::MAX)));
    group.bench_function("server_timing_runtime", |b| {
        b.iter(|| {
            for value in &corpus {
                black_box(parse(black_box(value)));
            }
        });
    });
    group.bench_function("server-timing-0.1.0", |b| {
        b.iter(|| {
            for value in &corpus {
                let _ = black_box(server_timing::parse_server_timing(black_box(value)));
            }
        });
    });
    group.bench_function("server-timing-0.1.0+owned", |b| {
        b.iter(|| {
            for value in &corpus {
                black_box(nom_to_owned(black_box(value)));
            }
        });
    });
    group.finish();

    let widest = origin(30);
    let mut group = c.benchmark_group("parse_30_entries");
    group.throughput(Throughput::Bytes(u64::try_from(widest.len()).unwrap_or(u64::MAX)));
    group.bench_function("server_timing_runtime", |b| b.iter(|| parse(black_box(&widest))));
    group.bench_function("server-timing-0.1.0", |b| {
        b.iter(|| {
            let _ = black_box(server_timing::parse_server_timing(black_box(&widest)));
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
