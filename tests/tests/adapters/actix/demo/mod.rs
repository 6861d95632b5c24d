//! The demo app (`cargo run -p server-timing-examples --bin demo`), started as the binary starts
//! it: its pages and API, its `/metrics`, and the servers it runs.
//!
//! Every demo records into the process's one `metrics` recorder: each test here holds
//! [`shared`], and the one that reads the recorder's counts holds [`exclusive`], so that no
//! other demo's requests are counted meanwhile.

use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

mod metrics_endpoint;
mod pages;
mod server;

static RECORDER: RwLock<()> = RwLock::const_new(());

/// Held by a test that starts a demo and does not read the recorder's counts.
async fn shared() -> RwLockReadGuard<'static, ()> {
    RECORDER.read().await
}

/// Held by the test that reads the recorder's counts: no other demo runs meanwhile.
async fn exclusive() -> RwLockWriteGuard<'static, ()> {
    RECORDER.write().await
}
