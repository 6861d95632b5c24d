//! The demo app (`cargo run -p server-timing-examples --bin demo`), started as the binary starts
//! it: its pages and API, its `/metrics`, and the servers it runs.
//!
//! Every demo records into the process's one `metrics` recorder: each test here holds
//! [`shared`], and the one that reads the recorder's counts holds [`exclusive`], so that no
//! other demo's requests are counted meanwhile.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

mod metrics_endpoint;
mod pages;
mod server;

static RECORDER: RwLock<()> = RwLock::new(());

/// Held by a test that starts a demo and does not read the recorder's counts.
fn shared() -> RwLockReadGuard<'static, ()> {
    RECORDER.read().unwrap_or_else(PoisonError::into_inner)
}

/// Held by the test that reads the recorder's counts: no other demo runs meanwhile.
fn exclusive() -> RwLockWriteGuard<'static, ()> {
    RECORDER.write().unwrap_or_else(PoisonError::into_inner)
}
