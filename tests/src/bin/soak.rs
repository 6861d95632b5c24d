//! The soak (run by `scripts/soak.sh`): a bounded number of requests over loopback against
//! both adapters at once, an actix-web server with `actix::ServerTiming` and an axum server
//! with `tower::ServerTimingLayer`, with client resets, handler panics and timeouts mixed in.
//!
//! Every answered request is checked in full: `total`, then exactly the metrics its handler
//! recorded, among them one named after the request's own id (0 lost, 0 mixed). The server's
//! resident memory, measured in this same process, must stay within 10% of what it was after
//! the warm-up. The run stops at its request count or at its time cap, whichever comes
//! first, and exits non-zero on any violation.
//!
//! Usage: `soak [REQUESTS]` (default 1,000,000: about 45 s of a release build on 2 cores).
//! Environment: `SOAK_SECONDS` (time cap, 300), `SOAK_CONCURRENCY` (requests in flight, 64).
//!
//! The integrations run in it too: trace context on both adapters (each request carries a
//! `traceparent` of its own, which the response's entry and the outgoing call must name), a
//! `tracing` span per request through the layer, an outgoing call through
//! `reqwest::Downstream` in every tenth request, and an `on_complete` hook that checks every
//! answered request's metrics as the hook sees them and feeds `metrics::histograms()` into a
//! Prometheus recorder. An integration joins the soak in two places: it records in [`work`]
//! and names what it records in [`expected_names`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::metrics::{HISTOGRAM, histograms};
use server_timing_runtime::reqwest::Downstream;
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{Completed, describe, parse, record, server_timing};
// The test suites' axum server, so that the soak serves and stops axum as they do.
use server_timing_tests::axum_server::AxumServer;
use tracing_subscriber::layer::SubscriberExt;

/// What a deliberate panic says: the panic hook keeps quiet about these.
const DELIBERATE: &str = "deliberate soak panic";
/// Requests in every hundred that panic, whose client resets the connection (RST), whose
/// client gives up (a timeout, then FIN), and that cut off a slow call with a timeout; the
/// rest are ordinary.
const PANIC_AT: u64 = 7;
const RESET_AT: u64 = 13;
const GIVE_UP_AT: u64 = 17;
const TIMEOUT_AT: u64 = 19;
/// How long a handler the client abandons works, and how soon the client abandons it.
const ABANDONED_WORK: Duration = Duration::from_millis(200);
const CLIENT_PATIENCE: Duration = Duration::from_millis(20);
/// How long an ordinary request may take before it counts as lost.
const REQUEST_DEADLINE: Duration = Duration::from_secs(20);
/// Requests that warm the process up before memory is first measured: a fifth of the run,
/// at least `MIN_WARM_UP` (allocator arenas and pools fill in over the first tens of
/// thousands), at most half of it.
const WARM_UP_SHARE: u64 = 5;
const MIN_WARM_UP: u64 = 20_000;
/// Growth of resident memory allowed after the warm-up, in percent.
const RSS_SLACK_PERCENT: u64 = 10;
/// Requests in every ten that call the downstream service.
const DOWNSTREAM_AT: u64 = 3;

/// The downstream service's URL, set once it listens.
static DOWNSTREAM_URL: OnceLock<String> = OnceLock::new();

thread_local! {
    // One client (and connection pool) per server thread: each adapter's threads run
    // runtimes of their own, and a pooled connection belongs to the runtime that opened it.
    static DOWNSTREAM: ClientWithMiddleware = ClientBuilder::new(
        reqwest::Client::builder().no_proxy().build().expect("an HTTP client"),
    )
    .with(Downstream::new("inventory"))
    .build();
}

/// The trace id request `id` carries, as its `traceparent` begins.
fn trace_prefix(id: u64) -> String {
    format!("00-{:032x}-", id + 1)
}

fn traceparent(id: u64) -> String {
    format!("{}{:016x}-01", trace_prefix(id), id + 1)
}

/// Whether the downstream call went out and carried this request's trace (the downstream
/// answers with the `traceparent` it received).
async fn call_downstream(id: u64) -> bool {
    let Some(url) = DOWNSTREAM_URL.get() else {
        return false;
    };
    let client = DOWNSTREAM.with(Clone::clone);
    match client.get(url).send().await {
        Ok(response) => response
            .text()
            .await
            .is_ok_and(|received| received.starts_with(&trace_prefix(id))),
        Err(_) => false,
    }
}

#[server_timing]
fn auth(id: u64) -> bool {
    id != u64::MAX
}

#[server_timing("cache", desc = "Cache lookup")]
async fn cache_lookup(id: u64) -> Option<u64> {
    tokio::task::yield_now().await;
    id.is_multiple_of(3).then_some(id)
}

#[server_timing("slow")]
async fn slow_call(work: Duration) {
    tokio::time::sleep(work).await;
}

#[server_timing]
fn explode(id: u64) {
    panic!("{DELIBERATE} {id}");
}

/// The handler's work, inside the request's collector whichever adapter serves it.
async fn work(id: u64) -> String {
    auth(id);
    cache_lookup(id).await;
    record(format!("r{id}"), Duration::from_micros(id % 1_000));
    describe(format!("r{id}"), format!("id {id}"));
    if id % 10 == DOWNSTREAM_AT && !call_downstream(id).await {
        return format!("{id}: the downstream call failed or did not carry the request's trace");
    }
    match id % 100 {
        PANIC_AT => explode(id),
        RESET_AT | GIVE_UP_AT => slow_call(ABANDONED_WORK).await,
        TIMEOUT_AT => {
            let cut_off = tokio::time::timeout(Duration::from_millis(2), slow_call(Duration::from_secs(5)));
            let _ = cut_off.await;
        }
        _ => {}
    }
    let body = id.to_string();
    tracing::info_span!(
        "render",
        server_timing = "render",
        server_timing.desc = body.as_str()
    )
    .in_scope(|| body.clone())
}

/// The names an answered request `id` carries in its header, in order: the trace entry opens
/// the field, so that a proxy cutting the header at its size limit keeps it.
fn expected_names(id: u64) -> Vec<String> {
    let mut names = vec!["traceparent".to_owned(), "total".to_owned()];
    names.extend(recorded_names(id));
    names
}

/// What its handler records, in order: the header's entries but `total` and `traceparent`,
/// and what the `on_complete` hook is given.
fn recorded_names(id: u64) -> Vec<String> {
    let mut names = vec!["auth".to_owned(), "cache".to_owned(), format!("r{id}")];
    if id % 10 == DOWNSTREAM_AT {
        names.extend(["inventory".to_owned(), "inventory.db".to_owned()]);
    }
    if id % 100 == TIMEOUT_AT {
        names.push("slow".to_owned());
    }
    names.push("render".to_owned());
    names
}

/// Whether request `id` is one its client waits for an answer to.
fn answered(id: u64) -> bool {
    !matches!(id % 100, PANIC_AT | RESET_AT | GIVE_UP_AT)
}

/// What the `on_complete` hook saw: every call, and those whose metrics were not the
/// request's own.
#[derive(Default)]
struct Completions {
    calls: AtomicU64,
    checked: AtomicU64,
    wrong: AtomicU64,
    first_wrong: Mutex<Option<String>>,
}

impl Completions {
    fn check(&self, done: &Completed<'_>) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let Some(id) = done
            .path()
            .strip_prefix("/work/")
            .and_then(|id| id.parse::<u64>().ok())
        else {
            return self.wrong(format!("a call for {}", done.path()));
        };
        if !answered(id) || done.status() != 200 {
            return;
        }
        self.checked.fetch_add(1, Ordering::Relaxed);
        let names: Vec<&str> = done.metrics().iter().map(|m| m.name()).collect();
        let trace = done.trace_parent().map(ToString::to_string).unwrap_or_default();
        if names != recorded_names(id) || !trace.starts_with(&trace_prefix(id)) {
            self.wrong(format!("the hook of {id} saw {names:?} and trace {trace:?}"));
        }
    }

    fn wrong(&self, detail: String) {
        self.wrong.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_wrong.lock().unwrap_or_else(|p| p.into_inner());
        first.get_or_insert(detail);
    }
}

/// The hook both adapters run: the check, then the histograms.
fn on_complete(completions: Arc<Completions>) -> impl Fn(&Completed<'_>) + Send + Sync + 'static {
    let histograms = histograms();
    move |done| {
        completions.check(done);
        histograms(done);
    }
}

struct Servers {
    actix: SocketAddr,
    axum: AxumServer,
    downstream: AxumServer,
    actix_handle: actix_web::dev::ServerHandle,
    actix_thread: std::thread::JoinHandle<std::io::Result<()>>,
}

impl Servers {
    async fn start(completions: &Arc<Completions>) -> Servers {
        let downstream = Self::start_downstream().await;
        // The actix server lives in an actix system of its own thread, built there.
        let (started, addr) = std::sync::mpsc::channel();
        let hook_completions = completions.clone();
        let actix_thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || {
                    let timing = ServerTiming::new()
                        .trace_context(true)
                        .on_complete(on_complete(hook_completions.clone()));
                    actix_web::App::new().wrap(timing).route(
                        "/work/{id}",
                        actix_web::web::get().to(|id: actix_web::web::Path<u64>| work(id.into_inner())),
                    )
                })
                .workers(2)
                .disable_signals()
                .shutdown_timeout(1)
                .bind(("127.0.0.1", 0))?;
                let addr = server.addrs()[0];
                let server = server.run();
                let _ = started.send((addr, server.handle()));
                server.await
            })
        });
        let (actix, actix_handle) = addr.recv().expect("the actix server started");

        let app = axum::Router::new()
            .route(
                "/work/{id}",
                axum::routing::get(|axum::extract::Path(id): axum::extract::Path<u64>| work(id)),
            )
            .layer(
                ServerTimingLayer::new()
                    .trace_context(true)
                    .on_complete(on_complete(completions.clone())),
            );
        Servers {
            actix,
            axum: AxumServer::start(app).await,
            downstream,
            actix_handle,
            actix_thread,
        }
    }

    /// The downstream service: it answers with the `traceparent` it received, and a
    /// `Server-Timing` of its own for the caller to merge.
    async fn start_downstream() -> AxumServer {
        let app = axum::Router::new().route(
            "/stock",
            axum::routing::get(|headers: axum::http::HeaderMap| async move {
                let received = headers
                    .get("traceparent")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_owned();
                ([("server-timing", "db;dur=1.5")], received)
            }),
        );
        let server = AxumServer::start(app).await;
        let _ = DOWNSTREAM_URL.set(format!("http://{}/stock", server.addr));
        server
    }

    async fn stop(self) {
        self.actix_handle.stop(true).await;
        self.axum.stop().await;
        self.actix_thread
            .join()
            .expect("the actix server thread")
            .expect("the actix server");
        // Last: the servers' thread-local clients may hold pooled connections to it.
        self.downstream.stop().await;
    }
}

/// What happened to one request.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum Outcome {
    Ok,
    Panicked,
    Reset,
    GaveUp,
    TimedOut,
    Lost,
    Mixed,
    Failed,
}

/// Send request `id` over a connection of its own and reset it (`SO_LINGER` 0) before the
/// handler answers.
async fn reset(addr: SocketAddr, id: u64) -> (Outcome, String) {
    use tokio::io::AsyncWriteExt;
    let request = format!("GET /work/{id} HTTP/1.1\r\nhost: soak\r\n\r\n");
    let sent = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream.write_all(request.as_bytes()).await?;
        tokio::time::sleep(CLIENT_PATIENCE).await;
        stream.set_zero_linger()
    };
    match sent.await {
        Ok(()) => (Outcome::Reset, String::new()),
        Err(error) => (Outcome::Failed, format!("reset of {id} on {addr}: {error}")),
    }
}

async fn one_request(client: &reqwest::Client, addr: SocketAddr, id: u64) -> (Outcome, String) {
    let kind = id % 100;
    if kind == RESET_AT {
        return reset(addr, id).await;
    }
    let url = format!("http://{addr}/work/{id}");
    let patience = if kind == GIVE_UP_AT {
        CLIENT_PATIENCE
    } else {
        REQUEST_DEADLINE
    };
    let request = client
        .get(&url)
        .header("traceparent", traceparent(id))
        .timeout(patience);
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) if kind == GIVE_UP_AT && error.is_timeout() => return (Outcome::GaveUp, String::new()),
        // A panic in an axum handler ends its connection without a response.
        Err(error) if kind == PANIC_AT && !error.is_timeout() => return (Outcome::Panicked, String::new()),
        Err(error) => return (Outcome::Failed, format!("{url}: {error}")),
    };
    if kind == PANIC_AT {
        let status = response.status();
        return if status == 500 {
            (Outcome::Panicked, String::new())
        } else {
            (
                Outcome::Failed,
                format!("{url}: a panicking handler answered {status}"),
            )
        };
    }
    if kind == GIVE_UP_AT {
        return (
            Outcome::Failed,
            format!("{url}: answered within {CLIENT_PATIENCE:?}"),
        );
    }
    let fields: Vec<String> = response
        .headers()
        .get_all("server-timing")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status != 200 || body != id.to_string() {
        return (Outcome::Failed, format!("{url}: {status} {body:?}"));
    }
    let parsed = parse(&fields.join(", "));
    let names: Vec<String> = parsed.iter().map(|m| m.name.clone()).collect();
    let expected = expected_names(id);
    let own = format!("r{id}");
    let foreign = names
        .iter()
        .any(|n| n.starts_with('r') && n[1..].parse::<u64>().is_ok() && *n != own);
    let described = parsed
        .iter()
        .any(|m| m.name == own && m.description == format!("id {id}"));
    let body = id.to_string();
    let rendered = parsed.iter().any(|m| m.name == "render" && m.description == body);
    let traced = parsed
        .iter()
        .any(|m| m.name == "traceparent" && m.description.starts_with(&trace_prefix(id)));
    let foreign_trace = parsed
        .iter()
        .any(|m| m.name == "traceparent" && !m.description.starts_with(&trace_prefix(id)));
    if foreign || foreign_trace {
        (Outcome::Mixed, format!("{url}: {fields:?}"))
    } else if names != expected || !described || !rendered || !traced {
        (Outcome::Lost, format!("{url}: {fields:?}, expected {expected:?}"))
    } else if kind == TIMEOUT_AT {
        (Outcome::TimedOut, String::new())
    } else {
        (Outcome::Ok, String::new())
    }
}

/// This process's resident memory in KiB, from /proc.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let requests: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let cap = Duration::from_secs(env_number("SOAK_SECONDS", 300));
    let concurrency = usize::try_from(env_number("SOAK_CONCURRENCY", 64)).unwrap_or(64);

    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .unwrap_or_default();
        if !message.starts_with(DELIBERATE) {
            default_hook(info);
        }
    }));

    // The tracing layer as a service installs it; the recorder `histograms()` records into.
    let subscriber = tracing_subscriber::registry().with(server_timing_runtime::tracing::layer());
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    // The demo's fixed buckets: without them the recorder keeps summaries, whose memory grew
    // by about 7 MB over a million requests in a soak of its own.
    let prometheus = PrometheusBuilder::new()
        .set_buckets(&server_timing_examples::demo::telemetry::BUCKETS)
        .expect("the buckets are not empty")
        .install_recorder()
        .expect("the only recorder");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let passed = runtime.block_on(soak(requests, cap, concurrency, &prometheus));
    std::process::exit(if passed { 0 } else { 1 });
}

async fn soak(requests: u64, cap: Duration, concurrency: usize, prometheus: &PrometheusHandle) -> bool {
    let completions = Arc::new(Completions::default());
    let servers = Servers::start(&completions).await;
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("an HTTP client");
    let addrs = [servers.actix, servers.axum.addr];
    let started = Instant::now();
    let done = Arc::new(AtomicU64::new(0));
    let warm_up = (requests / WARM_UP_SHARE).max(MIN_WARM_UP).min(requests / 2);
    let mut rss_after_warm_up = None;
    let mut rss_peak = 0;
    let mut counts: BTreeMap<(usize, Outcome), u64> = BTreeMap::new();
    let mut failures = Vec::new();

    let mut results = futures::stream::iter(0..requests)
        .take_while(|_| futures::future::ready(started.elapsed() < cap))
        .map(|id| {
            let client = client.clone();
            // By the hundred, so that each adapter gets every kind of fault.
            let adapter = usize::from((id / 100) % 2 == 1);
            let addr = addrs[adapter];
            let done = done.clone();
            async move {
                let (outcome, detail) = one_request(&client, addr, id).await;
                done.fetch_add(1, Ordering::Relaxed);
                (adapter, outcome, detail)
            }
        })
        .buffer_unordered(concurrency);
    let mut finished = 0u64;
    while let Some((adapter, outcome, detail)) = results.next().await {
        finished += 1;
        *counts.entry((adapter, outcome)).or_default() += 1;
        if !detail.is_empty() && failures.len() < 10 {
            failures.push(detail);
        }
        if finished == warm_up {
            rss_after_warm_up = Some(rss_kib());
        }
        if finished.is_multiple_of(1_000) {
            // What a scrape or the exporter's own upkeep task does in a service: the
            // recorder keeps each histogram's samples until they are folded in.
            prometheus.run_upkeep();
            if finished > warm_up {
                rss_peak = rss_peak.max(rss_kib());
            }
        }
    }
    drop(results);
    let elapsed = started.elapsed();
    let rss_end = rss_kib();
    rss_peak = rss_peak.max(rss_end);
    servers.stop().await;

    let adapters = ["actix", "tower"];
    println!(
        "soak: {finished} of {requests} requests in {:.1} s ({:.0}/s), {concurrency} in flight",
        elapsed.as_secs_f64(),
        finished as f64 / elapsed.as_secs_f64()
    );
    for ((adapter, outcome), count) in &counts {
        println!("  {:<6} {outcome:?}: {count}", adapters[*adapter]);
    }
    let total = |wanted: &[Outcome]| -> u64 {
        counts
            .iter()
            .filter(|((_, o), _)| wanted.contains(o))
            .map(|(_, n)| n)
            .sum()
    };
    let (lost, mixed, failed) = (
        total(&[Outcome::Lost]),
        total(&[Outcome::Mixed]),
        total(&[Outcome::Failed]),
    );
    let mut passed = lost == 0 && mixed == 0 && failed == 0;
    println!("  lost: {lost}, mixed: {mixed}, failed: {failed}");
    for failure in &failures {
        println!("  e.g. {failure}");
    }
    match rss_after_warm_up {
        Some(warm) => {
            let limit = warm + warm * RSS_SLACK_PERCENT / 100;
            let flat = rss_peak <= limit;
            println!(
                "  RSS after warm-up {warm} KiB, peak after it {rss_peak} KiB, at the end {rss_end} KiB \
                 (limit {limit} KiB): {}",
                if flat { "flat" } else { "GREW" }
            );
            passed &= flat;
        }
        None => {
            println!("  RSS: the run ended before its warm-up did ({warm_up} requests)");
            passed = false;
        }
    }
    if elapsed >= cap {
        println!("  stopped at the time cap ({} s)", cap.as_secs());
    }
    let faults = total(&[
        Outcome::Panicked,
        Outcome::Reset,
        Outcome::GaveUp,
        Outcome::TimedOut,
    ]);
    if faults == 0 {
        println!("  no fault was mixed in");
        passed = false;
    }
    passed &= hooks_saw_every_answer(&completions, total(&[Outcome::Ok, Outcome::TimedOut]));
    passed &= histograms_counted(prometheus, completions.checked.load(Ordering::Relaxed));
    println!("soak: {}", if passed { "PASSED" } else { "FAILED" });
    passed
}

/// Whether the `on_complete` hook ran for every answered request (once the servers have
/// stopped, every hook has run) and saw each one's own metrics.
fn hooks_saw_every_answer(completions: &Completions, answered_ok: u64) -> bool {
    let calls = completions.calls.load(Ordering::Relaxed);
    let checked = completions.checked.load(Ordering::Relaxed);
    let wrong = completions.wrong.load(Ordering::Relaxed);
    println!("  on_complete: {calls} calls, {checked} answered requests checked, {wrong} wrong");
    if let Some(first) = completions
        .first_wrong
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
    {
        println!("  e.g. {first}");
    }
    wrong == 0 && checked >= answered_ok
}

/// Whether the histograms counted every checked request's `auth` call, in a bounded number
/// of series (run-time names go to `other`).
fn histograms_counted(prometheus: &PrometheusHandle, checked: u64) -> bool {
    let text = prometheus.render();
    let count_prefix = format!("{HISTOGRAM}_count{{");
    let counts: Vec<(&str, f64)> = text
        .lines()
        .filter_map(|line| line.strip_prefix(&count_prefix))
        .filter_map(|rest| {
            let (labels, value) = rest.rsplit_once("} ")?;
            Some((labels, value.parse().ok()?))
        })
        .collect();
    let auth: f64 = counts
        .iter()
        .filter(|(labels, _)| labels.contains("metric=\"auth\""))
        .map(|(_, n)| n)
        .sum();
    println!("  histograms: {} series, {auth} auth calls counted", counts.len());
    auth >= checked as f64 && counts.len() <= 64
}
