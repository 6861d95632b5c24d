//! Load: many requests over 64 keep-alive connections against an app shaped like the demo,
//! each response checked in full (no metric lost, none mixed between requests, no 5xx), and
//! memory at the end back where it was after a warm-up.
//!
//! A debug build on a shared 2-core machine: the request count is sized to finish in well
//! under a minute, and the whole run is aborted with a failure after `TIME_CAP`.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::{describe, parse, server_timing};
use server_timing_tests::actix_server::{ActixServer, serve_with_workers};
use server_timing_tests::memory;

/// Requests of the warm-up round; the measured round sends `MEASURED_ROUNDS` times as many.
const WARM_UP: u64 = 5_000;
const MEASURED_ROUNDS: u64 = 5;
const CONNECTIONS: usize = 64;
/// Bounds the run in time: generous, because a sanitizer build (scripts/asan.sh) on a loaded
/// machine serves several times slower; a normal build takes a few seconds.
const TIME_CAP: Duration = Duration::from_secs(300);
/// Growth allowed between the two measurements.
const RSS_SLACK_KIB: i64 = 4 * 1024;
const HEAP_SLACK_BYTES: isize = 256 * 1024;
/// Set by scripts/asan.sh: the build is instrumented by AddressSanitizer.
const SANITIZER_ENV: &str = "SERVER_TIMING_SANITIZER";

#[server_timing]
fn auth(id: u64) -> bool {
    id != u64::MAX
}

#[server_timing("cache")]
async fn cache_lookup(id: u64) -> Option<u64> {
    tokio::task::yield_now().await;
    id.is_multiple_of(7).then_some(id)
}

#[server_timing("db", desc = "DB read")]
async fn db_read(id: u64) -> u64 {
    tokio::task::yield_now().await;
    id
}

#[server_timing]
fn render(id: u64) -> String {
    id.to_string()
}

/// Like the demo's pages: sync and async instrumented calls, one repeated, awaits between
/// them so that requests interleave on a worker, and a mark unique to the request.
async fn page(id: web::Path<u64>) -> HttpResponse {
    let id = *id;
    if !auth(id) {
        return HttpResponse::Forbidden().finish();
    }
    let _ = cache_lookup(id).await;
    for _ in 0..3 {
        db_read(id).await;
    }
    describe("req", id.to_string());
    HttpResponse::Ok().body(render(id))
}

/// What every response must carry, in order: (name, description).
fn expected_entries(id: u64) -> Vec<(String, String)> {
    [
        ("total", String::new()),
        ("auth", String::new()),
        ("cache", String::new()),
        ("db", "DB read (3 calls)".to_owned()),
        ("req", id.to_string()),
        ("render", String::new()),
    ]
    .into_iter()
    .map(|(name, desc)| (name.to_owned(), desc))
    .collect()
}

/// Whether the response to request `id` is complete and its own; why not, if not.
async fn check(id: u64, response: reqwest::Result<reqwest::Response>) -> Result<(), String> {
    let response = response.map_err(|e| format!("request {id}: {e}"))?;
    if response.status() != 200 {
        return Err(format!("request {id}: status {}", response.status()));
    }
    let fields: Vec<_> = response.headers().get_all("server-timing").iter().collect();
    let [field] = fields[..] else {
        return Err(format!("request {id}: {} Server-Timing fields", fields.len()));
    };
    let field = field
        .to_str()
        .map_err(|_| format!("request {id}: a non-ASCII header"))?
        .to_owned();
    let read: Vec<(String, String)> = parse(&field)
        .into_iter()
        .map(|m| (m.name, m.description))
        .collect();
    if read != expected_entries(id) {
        return Err(format!("request {id}: {field}"));
    }
    let body = response.text().await.map_err(|e| format!("request {id}: {e}"))?;
    if body != id.to_string() {
        return Err(format!("request {id}: body {body:?}"));
    }
    Ok(())
}

#[derive(Default)]
struct Outcome {
    passed: u64,
    failures: Vec<String>,
}

/// Send requests `first..first + count` over `CONNECTIONS` connections, one client (and so
/// one keep-alive connection) per connection task.
async fn round(server: &ActixServer, clients: &[reqwest::Client], first: u64, count: u64) -> Outcome {
    let next = Rc::new(AtomicU64::new(first));
    let outcome = Rc::new(RefCell::new(Outcome::default()));
    let tasks: Vec<_> = clients
        .iter()
        .map(|client| {
            let (client, next, outcome) = (client.clone(), next.clone(), outcome.clone());
            let base = server.url("/page/");
            actix_web::rt::spawn(async move {
                loop {
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    if id >= first + count {
                        break;
                    }
                    let result = check(id, client.get(format!("{base}{id}")).send().await).await;
                    let mut outcome = outcome.borrow_mut();
                    match result {
                        Ok(()) => outcome.passed += 1,
                        Err(why) => outcome.failures.push(why),
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a connection task");
    }
    Rc::try_unwrap(outcome).ok().expect("all tasks done").into_inner()
}

/// VmRSS of this process, in KiB (Linux only).
fn rss_kib() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn assert_all_passed(outcome: &Outcome, count: u64, phase: &str) {
    assert!(
        outcome.failures.is_empty(),
        "{phase}: {} of {count} responses wrong; first ones: {:#?}",
        outcome.failures.len(),
        &outcome.failures[..outcome.failures.len().min(10)]
    );
    assert_eq!(outcome.passed, count, "{phase}: every request answered");
}

#[actix_web::test]
async fn every_response_under_load_is_complete_and_its_own_and_memory_returns() {
    let _alone = memory::exclusive().await;
    let server = serve_with_workers(2, ServerTiming::new(), |cfg| {
        cfg.route("/page/{id}", web::get().to(page));
    });
    let clients: Vec<reqwest::Client> = (0..CONNECTIONS)
        .map(|_| {
            reqwest::Client::builder()
                .no_proxy()
                .http1_only()
                .pool_max_idle_per_host(1)
                .build()
                .expect("a plain HTTP client")
        })
        .collect();
    let measured = WARM_UP * MEASURED_ROUNDS;
    let started = Instant::now();
    let run = async {
        let warm_up = round(&server, &clients, 0, WARM_UP).await;
        assert_all_passed(&warm_up, WARM_UP, "warm-up");
        let (rss_before, heap_before) = (rss_kib(), memory::live_bytes());
        let main = round(&server, &clients, WARM_UP, measured).await;
        assert_all_passed(&main, measured, "measured round");
        (rss_before, heap_before, rss_kib(), memory::live_bytes())
    };
    let Ok((rss_before, heap_before, rss_after, heap_after)) =
        actix_web::rt::time::timeout(TIME_CAP, run).await
    else {
        panic!("the load test did not finish within {TIME_CAP:?}");
    };
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "load: {} requests over {CONNECTIONS} connections in {seconds:.1} s; \
         RSS {rss_before:?} -> {rss_after:?} KiB; live heap {heap_before} -> {heap_after} bytes",
        WARM_UP + measured
    );
    let heap_growth = heap_after - heap_before;
    assert!(
        heap_growth < HEAP_SLACK_BYTES,
        "live heap grew by {heap_growth} bytes over {measured} requests"
    );
    // AddressSanitizer keeps freed memory in quarantine (256 MB by default) to catch uses
    // after free, so the process's RSS climbs whatever the code does; the live heap above is
    // the check that holds there.
    let sanitized = std::env::var_os(SANITIZER_ENV).is_some();
    match (rss_before, rss_after) {
        _ if sanitized => eprintln!("RSS not checked: an AddressSanitizer build (${SANITIZER_ENV})"),
        (Some(before), Some(after)) => assert!(
            after - before < RSS_SLACK_KIB,
            "RSS grew from {before} KiB to {after} KiB over {measured} requests"
        ),
        _ => eprintln!("RSS not checked: /proc/self/status has no VmRSS on this platform"),
    }
    server.stop().await;
}
