//! `#[server_timing]` on every fn form: each call is recorded under its name, once, with a
//! duration that covers the known sleep in its body (and is not wildly more).

use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;
use std::time::Duration;

use server_timing_runtime::{Metric, Timings, server_timing};

const SLEEP: Duration = Duration::from_millis(30);
/// Generous: a loaded CI machine can oversleep by a lot; the bound only catches a duration
/// that measured something else entirely (the whole test, a clock mix-up).
const SLACK: Duration = Duration::from_secs(5);

fn block() {
    std::thread::sleep(SLEEP);
}

async fn wait() {
    tokio::time::sleep(SLEEP).await;
}

/// Asserts that `metric` holds `count` timed calls, each of which slept `SLEEP`.
#[track_caller]
fn assert_timed(metric: &Metric, name: &str, count: u32) {
    assert_eq!(metric.name(), name);
    assert_eq!(metric.count(), count, "{metric:?}");
    assert_eq!((metric.cancelled(), metric.panicked()), (0, 0), "{metric:?}");
    let duration = metric.duration().expect("a timed metric has a duration");
    assert!(
        duration >= SLEEP * count,
        "{name}: {duration:?} < {count} x {SLEEP:?}"
    );
    assert!(duration < SLEEP * count + SLACK, "{name}: {duration:?}");
}

fn by_name(metrics: &[Metric], name: &str) -> Metric {
    metrics
        .iter()
        .find(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no metric {name:?} in {metrics:?}"))
        .clone()
}

#[server_timing]
fn free_sync(n: u32) -> u32 {
    block();
    n + 1
}

#[server_timing("free_async_named", desc = "an async fn")]
async fn free_async(n: u32) -> u32 {
    wait().await;
    n + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_sync_and_async_fns() {
    let timings = Timings::new();
    let sum = timings.scope(async { free_sync(1) + free_async(2).await }).await;
    assert_eq!(sum, 5);
    let metrics = timings.metrics();
    assert_eq!(metrics.len(), 2);
    assert_timed(&metrics[0], "free_sync", 1);
    assert_timed(&metrics[1], "free_async_named", 1);
    assert_eq!(metrics[0].description(), None);
    assert_eq!(metrics[1].description(), Some("an async fn"));
}

#[derive(Debug, Default, PartialEq)]
struct Account {
    balance: u64,
}

impl Account {
    #[server_timing]
    fn open(balance: u64) -> Self {
        block();
        Self { balance }
    }

    #[server_timing]
    fn balance(&self) -> u64 {
        block();
        self.balance
    }

    #[server_timing]
    fn deposit(&mut self, amount: u64) {
        block();
        self.balance += amount;
    }

    #[server_timing]
    fn close(self) -> u64 {
        block();
        self.balance
    }

    #[server_timing]
    async fn balance_async(&self) -> u64 {
        wait().await;
        self.balance
    }

    #[server_timing]
    async fn deposit_async(&mut self, amount: u64) {
        wait().await;
        self.balance += amount;
    }

    #[server_timing]
    async fn close_async(self) -> Self {
        wait().await;
        Self::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_and_associated_fns() {
    let timings = Timings::new();
    let (closed, emptied) = timings
        .scope(async {
            let mut account = Account::open(10);
            account.deposit(5);
            account.deposit_async(1).await;
            assert_eq!(account.balance() + account.balance_async().await, 32);
            let emptied = Account::open(1).close_async().await;
            (account.close(), emptied)
        })
        .await;
    assert_eq!((closed, emptied), (16, Account::default()));
    let metrics = timings.metrics();
    let names: Vec<_> = metrics.iter().map(Metric::name).collect();
    assert_eq!(
        names,
        [
            "open",
            "deposit",
            "deposit_async",
            "balance",
            "balance_async",
            "close_async",
            "close"
        ]
    );
    assert_timed(&by_name(&metrics, "open"), "open", 2);
    for name in [
        "deposit",
        "deposit_async",
        "balance",
        "balance_async",
        "close_async",
        "close",
    ] {
        assert_timed(&by_name(&metrics, name), name, 1);
    }
}

#[server_timing]
fn lookup<'m, 'k, K, V>(map: &'m HashMap<K, V>, key: &'k K) -> Option<&'m V>
where
    K: Eq + Hash + 'k,
    V: Clone,
    'k: 'm,
{
    block();
    map.get(key)
}

#[server_timing]
async fn longest<'a, T>(items: &'a [T]) -> Option<&'a T>
where
    T: AsRef<str> + Sync,
{
    wait().await;
    items.iter().max_by_key(|s| s.as_ref().len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_fns_with_lifetimes_and_where_clauses() {
    let timings = Timings::new();
    timings
        .scope(async {
            let map = HashMap::from([("a", 1)]);
            assert_eq!(lookup(&map, &"a"), Some(&1));
            assert_eq!(longest(&["ab", "abc", "a"]).await, Some(&"abc"));
        })
        .await;
    let metrics = timings.metrics();
    assert_timed(&metrics[0], "lookup", 1);
    assert_timed(&metrics[1], "longest", 1);
}

#[server_timing]
fn shout(text: impl Display) -> impl Display {
    block();
    format!("{text}!")
}

#[server_timing]
async fn squares(limit: u32, keep: impl Fn(u32) -> bool + Send) -> impl Iterator<Item = u32> {
    wait().await;
    (1..=limit).map(|n| n * n).filter(move |n| keep(*n))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impl_trait_arguments_and_returns() {
    let timings = Timings::new();
    timings
        .scope(async {
            assert_eq!(shout(7).to_string(), "7!");
            assert_eq!(squares(4, |n| n > 1).await.collect::<Vec<_>>(), [4, 9, 16]);
        })
        .await;
    let metrics = timings.metrics();
    assert_timed(&metrics[0], "shout", 1);
    assert_timed(&metrics[1], "squares", 1);
}

/// # Safety
/// `ptr` must be valid for reads.
#[server_timing]
unsafe fn read_raw(ptr: *const u32) -> u32 {
    block();
    // SAFETY: the caller promises `ptr` is valid.
    unsafe { *ptr }
}

/// # Safety
/// `ptr` must be valid for reads until the future completes.
#[server_timing]
async unsafe fn read_raw_async(ptr: *const u32) -> u32 {
    wait().await;
    // SAFETY: the caller promises `ptr` is valid.
    unsafe { *ptr }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsafe_fns() {
    let timings = Timings::new();
    timings
        .scope(async {
            let value = 7_u32;
            // SAFETY: `value` outlives both calls.
            let read = unsafe { read_raw(&value) + read_raw_async(&value).await };
            assert_eq!(read, 14);
        })
        .await;
    let metrics = timings.metrics();
    assert_timed(&metrics[0], "read_raw", 1);
    assert_timed(&metrics[1], "read_raw_async", 1);
}

trait Shape {
    fn area(&self) -> f64;

    /// A default method, timed once for every implementor.
    #[server_timing]
    fn describe(&self) -> String {
        block();
        format!("area {}", self.area())
    }

    /// A native async default method.
    #[server_timing]
    async fn area_later(&self) -> f64 {
        wait().await;
        self.area()
    }
}

struct Square(f64);

impl Shape for Square {
    #[server_timing("square_area")]
    fn area(&self) -> f64 {
        block();
        self.0 * self.0
    }
}

struct Circle;

impl Shape for Circle {
    fn area(&self) -> f64 {
        3.0
    }

    #[server_timing("circle_describe")]
    fn describe(&self) -> String {
        block();
        "circle".to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trait_default_methods_and_impls() {
    let timings = Timings::new();
    timings
        .scope(async {
            assert_eq!(Square(2.0).describe(), "area 4");
            assert_eq!(Circle.describe(), "circle");
            assert!((Square(3.0).area_later().await - 9.0).abs() < f64::EPSILON);
        })
        .await;
    let metrics = timings.metrics();
    let names: Vec<_> = metrics.iter().map(Metric::name).collect();
    assert_eq!(
        names,
        // In the order the calls started: `describe` calls `square_area`.
        ["describe", "square_area", "circle_describe", "area_later"]
    );
    assert_timed(&metrics[1], "square_area", 2);
    // `describe` called `area` inside: its duration covers both sleeps.
    assert!(metrics[0].duration().unwrap() >= SLEEP * 2, "{:?}", metrics[0]);
    assert_eq!(metrics[0].count(), 1);
    assert_timed(&metrics[2], "circle_describe", 1);
    // `area_later` slept, then called `area`, which slept too.
    assert!(metrics[3].duration().unwrap() >= SLEEP * 2, "{:?}", metrics[3]);
    assert_eq!(metrics[3].count(), 1);
}

#[server_timing]
fn countdown(n: u32) -> u32 {
    block();
    if n == 0 { 0 } else { 1 + countdown(n - 1) }
}

#[server_timing]
fn countdown_async(n: u32) -> std::pin::Pin<Box<dyn std::future::Future<Output = u32> + Send>> {
    Box::pin(async move {
        wait().await;
        if n == 0 {
            0
        } else {
            1 + countdown_async(n - 1).await
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recursive_fns_record_every_call() {
    let timings = Timings::new();
    let depth = timings
        .scope(async { countdown(3) + countdown_async(2).await })
        .await;
    assert_eq!(depth, 5);
    let metrics = timings.metrics();
    assert_eq!(metrics[0].name(), "countdown");
    assert_eq!(metrics[0].count(), 4);
    assert_eq!(metrics[1].name(), "countdown_async");
    assert_eq!(metrics[1].count(), 3);
    // Nested calls overlap and count once: the outermost call's 4 sleeps (and 3).
    assert!(metrics[0].duration().unwrap() >= SLEEP * 4, "{:?}", metrics[0]);
    assert!(metrics[1].duration().unwrap() >= SLEEP * 3, "{:?}", metrics[1]);
}

#[tokio::test(flavor = "current_thread")]
async fn works_on_a_current_thread_runtime_and_in_a_sync_scope() {
    let timings = Timings::new();
    timings.scope(free_async(0)).await;
    assert_eq!(timings.sync_scope(|| free_sync(0)), 1);
    let metrics = timings.metrics();
    assert_timed(&metrics[0], "free_async_named", 1);
    assert_timed(&metrics[1], "free_sync", 1);
}
