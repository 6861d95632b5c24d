//! The test binary's one global subscriber, the tracing-subscriber way: a real registry holding
//! one instance of our layer per module, each narrowed by a per-layer filter to the targets its
//! module's tests make (so each module's configuration sees only its own spans and events, and
//! none of the binary's other tests' work),
//! sqlx's statements kept beside them, and the fmt layer writing to a buffer the tests read.
//! Global, because the tests run work on other threads: tokio workers, actix workers, sqlx's
//! SQLite worker.

use std::io;
use std::sync::{Mutex, OnceLock, PoisonError};

use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

use super::{all_spans, spans, sqlx_events};

/// Everything the fmt layer wrote.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Install the subscriber, once per test binary: every test calls this first. The fmt layer
/// logs this binary's own targets only, so that the HTTP stack's internals do not flood the
/// buffer.
pub fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let binary = module_path!().split("::").next().unwrap_or_default().to_owned();
        let fmt = tracing_subscriber::fmt::layer()
            .with_writer(Log)
            .with_ansi(false)
            .with_filter(Targets::new().with_target(binary, tracing::Level::TRACE));
        let subscriber = tracing_subscriber::registry()
            .with(spans::layer())
            .with(all_spans::layer())
            .with(sqlx_events::layer())
            .with(sqlx_events::Statements)
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
