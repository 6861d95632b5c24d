//! Events that carry their own duration, such as sqlx's statement events.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::time::Duration;

use tracing_core::Event;
use tracing_core::field::{Field, Visit};

/// The field an event's duration is read from, in seconds: sqlx's `sqlx::query` events carry
/// their statement's time in it as an `f64` (beside a human-readable `elapsed`).
pub(crate) const ELAPSED_SECS: &str = "elapsed_secs";

/// The events of one target, recorded under a metric name.
#[derive(Debug)]
pub(crate) struct EventMetric {
    pub(crate) target: Cow<'static, str>,
    pub(crate) name: Cow<'static, str>,
}

impl EventMetric {
    /// Whether an event of `target` is one of these: that target or a module inside it.
    pub(crate) fn matches(&self, target: &str) -> bool {
        target
            .strip_prefix(&*self.target)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    }
}

/// The duration `event` carries, if it has a usable one: finite, not negative, and within
/// what a `Duration` holds.
pub(crate) fn elapsed(event: &Event<'_>) -> Option<Duration> {
    let mut elapsed = Elapsed(None);
    event.record(&mut elapsed);
    elapsed.0
}

struct Elapsed(Option<Duration>);

impl Visit for Elapsed {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == ELAPSED_SECS {
            self.0 = Duration::try_from_secs_f64(value).ok();
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == ELAPSED_SECS {
            self.0 = Some(Duration::from_secs(value));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == ELAPSED_SECS {
            self.0 = u64::try_from(value).ok().map(Duration::from_secs);
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}

thread_local! {
    // Whether an instance of the layer has recorded the event being dispatched on this
    // thread. Cleared as each event is offered to the layers (`Layer::event_enabled`, which
    // every dispatch calls before any `on_event`), set by the first instance that records it.
    static RECORDED: Cell<bool> = const { Cell::new(false) };
}

/// An event is being offered to the layers: none has recorded it yet.
pub(crate) fn offered() {
    let _ = RECORDED.try_with(|recorded| recorded.set(false));
}

/// Whether this instance is the first to record the event being dispatched (it is then
/// marked as recorded): an event that several instances map is recorded once.
pub(crate) fn claim() -> bool {
    RECORDED
        .try_with(|recorded| !recorded.replace(true))
        .unwrap_or(true)
}
