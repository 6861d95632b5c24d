//! The code `#[server_timing]` generates adds no warning under the strictest lints users turn
//! on: `cargo clippy -p server-timing-tests --all-targets -- -D warnings` checks this file
//! with clippy's pedantic group (trybuild's `ui-tests/ui/pass/lint_clean.rs` cannot run clippy).
#![deny(warnings, unused_qualifications, clippy::all, clippy::pedantic)]

use std::error::Error;
use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use server_timing_runtime::{Timings, server_timing};

#[server_timing]
fn add(a: u32, b: u32) -> u32 {
    a + b
}

#[server_timing("unit", desc = "no output")]
fn unit() {}

// One call as the whole body: a block wrapped around it would trip `unused_braces`.
#[server_timing]
fn echo(n: u32) -> u32 {
    std::hint::black_box(n)
}

#[server_timing]
async fn echo_async(n: u32) -> u32 {
    std::hint::black_box(n)
}

// Items first, then statements: the guard must not make the items come "after statements".
#[server_timing]
fn with_items(n: u32) -> u32 {
    const STEP: u32 = 1;
    fn step(n: u32) -> u32 {
        n + STEP
    }
    step(n)
}

#[server_timing]
async fn with_items_async(n: u32) -> u32 {
    fn step(n: u32) -> u32 {
        n + 1
    }
    step(n)
}

#[server_timing]
async fn parse(raw: &str) -> Result<u32, Box<dyn Error>> {
    Ok(raw.parse::<u32>()?)
}

#[server_timing]
async fn nothing() {}

#[server_timing]
fn later(n: u32) -> impl Future<Output = u32> {
    async move { n }
}

#[server_timing]
fn delegated(n: u32) -> impl Future<Output = u32> {
    std::future::ready(n)
}

#[server_timing]
fn boxed(n: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move { n })
}

#[server_timing]
fn stop() -> ! {
    panic!("stop")
}

#[server_timing]
async fn stop_async() -> ! {
    panic!("stop")
}

/// # Safety
/// None needed; `unsafe` is the form under test.
#[server_timing]
unsafe fn unchecked(n: u32) -> u32 {
    n
}

#[server_timing]
fn pick<'a, T>(items: &'a [T], below: &T, keep: impl Fn(&T) -> bool) -> Option<&'a T>
where
    T: PartialOrd,
{
    items
        .iter()
        .filter(|t| *t < below && keep(t))
        .max_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal))
}

#[async_trait]
trait Store {
    async fn get(&self) -> u32;

    #[server_timing]
    async fn get_twice(&self) -> u32 {
        self.get().await * 2
    }
}

struct Memory(u32);

#[async_trait]
impl Store for Memory {
    #[server_timing]
    async fn get(&self) -> u32 {
        self.0
    }
}

impl Memory {
    #[server_timing]
    fn take(self) -> u32 {
        self.0
    }

    #[server_timing]
    fn bump(&mut self) {
        self.0 += 1;
    }

    #[server_timing]
    async fn bump_async(&mut self) -> Option<()> {
        self.0 = self.0.checked_add(1)?;
        Some(())
    }
}

#[tokio::test]
async fn strictly_linted_forms_run_and_record() {
    let timings = Timings::new();
    timings
        .scope(async {
            assert_eq!(add(1, 2), 3);
            unit();
            assert_eq!(
                echo(1) + echo_async(1).await + with_items(1) + with_items_async(1).await,
                6
            );
            assert_eq!(parse("4").await.ok(), Some(4));
            nothing().await;
            assert_eq!(later(5).await + delegated(6).await + boxed(7).await, 18);
            // SAFETY: `unchecked` has no precondition.
            assert_eq!(unsafe { unchecked(8) }, 8);
            assert_eq!(pick(&[1, 3, 2, 0], &3, |n| *n > 0), Some(&2));
            let mut memory = Memory(1);
            assert_eq!(memory.get_twice().await, 2);
            memory.bump();
            assert_eq!(memory.bump_async().await, Some(()));
            assert_eq!(memory.take(), 3);
        })
        .await;
    let sync = std::panic::catch_unwind(|| timings.sync_scope(|| stop()));
    let async_ = std::panic::catch_unwind(|| futures::executor::block_on(timings.scope(stop_async())));
    assert!(sync.is_err() && async_.is_err());
    let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(
        names,
        [
            "add",
            "unit",
            "echo",
            "echo_async",
            "with_items",
            "with_items_async",
            "parse",
            "nothing",
            "later",
            "delegated",
            "boxed",
            "unchecked",
            "pick",
            // `get_twice` calls `get`: the caller first.
            "get_twice",
            "get",
            "bump",
            "bump_async",
            "take",
            "stop",
            "stop_async",
        ]
    );
}
