//! The generated code adds no warning under strict lints. (`cargo clippy` runs the clippy
//! half over `tests/tests/attribute/lint_clean.rs`, which holds the same kind of fns.)

#![forbid(unsafe_code)]
#![deny(
    warnings,
    missing_docs,
    unused_qualifications,
    unused_results,
    clippy::all,
    clippy::pedantic
)]

use std::error::Error;
use std::future::Future;

use async_trait::async_trait;
use server_timing_runtime::{server_timing, Timings};

/// A sync fn.
#[server_timing]
#[must_use]
pub fn add(a: u32, b: u32) -> u32 {
    a + b
}

/// A unit fn.
#[server_timing("unit", desc = "no output")]
pub fn unit() {}

/// An async fn with `?`.
///
/// # Errors
/// When `raw` is not a number.
#[server_timing]
pub async fn parse(raw: &str) -> Result<u32, Box<dyn Error>> {
    Ok(raw.parse::<u32>()?)
}

/// A fn returning `impl Future`.
#[server_timing]
pub fn later(n: u32) -> impl Future<Output = u32> {
    async move { n }
}

/// A diverging fn.
///
/// # Panics
/// Always.
#[server_timing]
pub fn stop() -> ! {
    panic!("stop")
}

/// An async diverging fn.
///
/// # Panics
/// Always.
#[server_timing]
pub async fn stop_async() -> ! {
    panic!("stop")
}

/// A trait.
#[async_trait]
pub trait Store {
    /// A method.
    async fn get(&self) -> u32;
}

/// An implementation.
pub struct Memory;

#[async_trait]
impl Store for Memory {
    #[server_timing]
    async fn get(&self) -> u32 {
        1
    }
}

impl Memory {
    /// A method with `self`.
    #[server_timing]
    #[must_use]
    pub fn take(self) -> u32 {
        2
    }

    /// An async method with `&mut self`.
    #[server_timing]
    pub async fn touch(&mut self) {}
}

fn main() {
    let timings = Timings::new();
    futures::executor::block_on(timings.scope(async {
        assert_eq!(add(1, 2), 3);
        unit();
        assert_eq!(parse("4").await.ok(), Some(4));
        assert_eq!(later(5).await, 5);
        assert_eq!(Memory.get().await, 1);
        let mut memory = Memory;
        memory.touch().await;
        assert_eq!(memory.take(), 2);
    }));
    assert_eq!(timings.metrics().len(), 7);
}
