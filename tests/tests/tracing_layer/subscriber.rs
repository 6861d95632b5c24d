//! What the tracing tests share: the process-wide subscriber (a real registry with our layer
//! and the fmt layer beside it, writing to a buffer the tests can read), and readers for what a
//! collector holds.

// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

use std::io;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use server_timing_runtime::{Metric, Timings};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, Registry};

/// Everything the fmt layer wrote.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Install, once per test binary, `registry().with(ours).with(extra).with(fmt)` as the global
/// subscriber (global, because the tests run work on other threads: tokio workers, actix
/// workers, sqlx's SQLite worker). The fmt layer logs this test binary's own targets only, so
/// that the HTTP stack's internals do not flood the buffer.
pub fn install<L, E>(ours: impl FnOnce() -> L, extra: impl FnOnce() -> E)
where
    L: Layer<Registry> + Send + Sync + 'static,
    E: Layer<tracing_subscriber::layer::Layered<L, Registry>> + Send + Sync + 'static,
{
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let binary = module_path!().split("::").next().unwrap_or_default().to_owned();
        let fmt = tracing_subscriber::fmt::layer()
            .with_writer(Log)
            .with_ansi(false)
            .with_filter(Targets::new().with_target(binary, tracing::Level::TRACE));
        let subscriber = tracing_subscriber::registry()
            .with(ours())
            .with(extra())
            .with(fmt);
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    });
}

/// What the fmt layer wrote so far.
pub fn log() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
}

#[derive(Clone, Copy)]
struct Log;

impl io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        LOG.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl MakeWriter<'_> for Log {
    type Writer = Log;

    fn make_writer(&self) -> Log {
        Log
    }
}

/// The metric `name` of `timings`; fails the test when there is none.
pub fn metric(timings: &Timings, name: &str) -> Metric {
    timings
        .metrics()
        .into_iter()
        .find(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no metric {name} in {:?}", timings.metrics()))
}

/// The names `timings` holds, in order.
pub fn names(timings: &Timings) -> Vec<String> {
    timings.metrics().iter().map(|m| m.name().to_owned()).collect()
}

/// `metric`'s duration.
pub fn duration(metric: &Metric) -> Duration {
    metric
        .duration()
        .unwrap_or_else(|| panic!("{} has no duration", metric.name()))
}

/// Run `future` on its own multi-thread runtime with two workers, bounded in time.
pub fn run<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(async {
            tokio::time::timeout(Duration::from_secs(30), future)
                .await
                .expect("the test finished within 30 s")
        })
}
