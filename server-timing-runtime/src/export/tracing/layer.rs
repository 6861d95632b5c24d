//! The `tracing_subscriber::Layer` that turns spans into metrics.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use super::events::{self, EventMetric};
use super::fields::{self, Fields};
use super::span::SpanTiming;
use crate::collector::label::Label;
use crate::collector::metric::Outcome;
use crate::collector::timings::Timings;

/// Records `tracing` spans (and, when mapped, events with a duration) into the request they
/// belong to. Made by [`layer`](super::layer); see [the module](super) for the rules.
///
/// ```
/// use std::time::Duration;
/// use server_timing_runtime::tracing::layer;
/// use server_timing_runtime::Timings;
/// use tracing::Level;
/// use tracing_subscriber::filter::Targets;
/// use tracing_subscriber::layer::SubscriberExt;
/// use tracing_subscriber::Layer as _;
///
/// // The filter lets through the spans to time and the events to map.
/// let filter = Targets::new()
///     .with_target("my_app::db", Level::INFO)
///     .with_target("sqlx::query", Level::DEBUG);
/// let subscriber = tracing_subscriber::registry()
///     .with(layer().all_spans().event("sqlx::query", "db").with_filter(filter));
/// tracing::subscriber::with_default(subscriber, || {
///     let timings = Timings::new();
///     timings.sync_scope(|| {
///         tracing::info_span!(target: "my_app::db", "load_user").in_scope(|| {
///             tracing::debug!(target: "sqlx::query", summary = "select 1", elapsed_secs = 0.004);
///         });
///         tracing::info_span!(target: "my_app::web", "render").in_scope(|| {});
///     });
///     let metrics = timings.metrics();
///     let mut names: Vec<_> = metrics.iter().map(|m| m.name()).collect();
///     names.sort();
///     assert_eq!(names, ["db", "load_user"], "`render` is filtered out");
///     let db = metrics.iter().find(|m| m.name() == "db").unwrap();
///     assert_eq!(db.duration(), Some(Duration::from_millis(4)));
/// });
/// ```
#[derive(Debug)]
pub struct Layer {
    all_spans: bool,
    busy: bool,
    events: Vec<EventMetric>,
    // Which instance this is, for the spans whose state it keeps: a subscriber may hold
    // several instances (two crates each add one, or one per filter), and each span must be
    // timed once.
    owner: u64,
}

impl Default for Layer {
    fn default() -> Self {
        static INSTANCES: AtomicU64 = AtomicU64::new(0);
        Layer {
            all_spans: false,
            busy: false,
            events: Vec::new(),
            owner: INSTANCES.fetch_add(1, Ordering::Relaxed),
        }
    }
}

// How many spans hold state, whichever instance keeps it: while none does, no span can be
// entered, closed or be anyone's ancestor with a request, so those callbacks return at once
// instead of looking the span up. One count for all instances, because a state can pass
// from one instance to another (see `on_new_span`). Relaxed: a span reaches another thread
// only through something that synchronizes.
static LIVE: AtomicUsize = AtomicUsize::new(0);

impl Layer {
    /// Time every span the layer sees, named by its span name (a string `server_timing`
    /// field still overrides it). Narrow it with a per-layer filter from tracing-subscriber,
    /// such as `Targets` or `EnvFilter`.
    ///
    /// ```
    /// use server_timing_runtime::Timings;
    /// use tracing_subscriber::filter::Targets;
    /// use tracing_subscriber::layer::SubscriberExt;
    /// use tracing_subscriber::Layer as _;
    ///
    /// let only_this_crate = Targets::new().with_target(module_path!(), tracing::Level::INFO);
    /// let subscriber = tracing_subscriber::registry()
    ///     .with(server_timing_runtime::tracing::layer().all_spans().with_filter(only_this_crate));
    /// tracing::subscriber::with_default(subscriber, || {
    ///     let timings = Timings::new();
    ///     timings.sync_scope(|| {
    ///         tracing::info_span!("render").in_scope(|| {});
    ///         tracing::debug_span!("too_fine").in_scope(|| {});
    ///     });
    ///     let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    ///     assert_eq!(names, ["render"]);
    /// });
    /// ```
    #[must_use]
    pub fn all_spans(mut self) -> Self {
        self.all_spans = true;
        self
    }

    /// Record busy time, the sum of the intervals the span was entered (what the fmt layer
    /// reports as `time.busy`), instead of wall time from first enter to close. It costs two
    /// clock reads per enter, where wall time needs two per span.
    ///
    /// ```
    /// use std::time::Duration;
    /// use server_timing_runtime::Timings;
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let subscriber = tracing_subscriber::registry()
    ///     .with(server_timing_runtime::tracing::layer().busy_time());
    /// tracing::subscriber::with_default(subscriber, || {
    ///     let timings = Timings::new();
    ///     timings.sync_scope(|| {
    ///         let span = tracing::info_span!("work", server_timing = "work");
    ///         span.in_scope(|| {});
    ///         std::thread::sleep(Duration::from_millis(20)); // not entered: not counted
    ///         span.in_scope(|| {});
    ///     });
    ///     assert!(timings.metrics()[0].duration().unwrap() < Duration::from_millis(20));
    /// });
    /// ```
    #[must_use]
    pub fn busy_time(mut self) -> Self {
        self.busy = true;
        self
    }

    /// Record the events of `target` (or of a module inside it) that carry their own duration
    /// as metric `name`. The duration is the event's `elapsed_secs` field, in seconds (an
    /// `f64` or an integer), which is where sqlx's `sqlx::query` events carry each statement's
    /// time; events without one are ignored. The event must be enabled for this layer: sqlx
    /// logs statements at `DEBUG` (slow ones at `WARN`).
    ///
    /// An event belongs to the request current where it fires, else to the request of its
    /// span's nearest ancestor that has one. Once an event is mapped, every span created in a
    /// request carries the request for what runs under it, which is how an event fired on
    /// another thread finds it: sqlx's SQLite driver runs each statement on a worker thread
    /// inside the caller's span, so the query needs a span around it (an `#[instrument]` fn,
    /// tower-http's `TraceLayer`). An event inside a span of the same metric name is not
    /// counted again. Where several instances of the layer map an event, the first that
    /// records it (from the registry outwards) is the only one that does.
    ///
    /// ```
    /// use std::time::Duration;
    /// use server_timing_runtime::Timings;
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let subscriber = tracing_subscriber::registry()
    ///     .with(server_timing_runtime::tracing::layer().event("sqlx::query", "db"));
    /// tracing::subscriber::with_default(subscriber, || {
    ///     let timings = Timings::new();
    ///     timings.sync_scope(|| {
    ///         // What sqlx emits after each statement.
    ///         tracing::debug!(target: "sqlx::query", summary = "select 1", elapsed_secs = 0.004);
    ///     });
    ///     assert_eq!(timings.metrics()[0].name(), "db");
    ///     assert_eq!(timings.metrics()[0].duration(), Some(Duration::from_millis(4)));
    /// });
    /// ```
    #[must_use]
    pub fn event(mut self, target: impl Into<Cow<'static, str>>, name: impl Into<Cow<'static, str>>) -> Self {
        self.events.push(EventMetric {
            target: target.into(),
            name: name.into(),
        });
        self
    }

    fn any_live(&self) -> bool {
        LIVE.load(Ordering::Relaxed) != 0
    }

    /// The state of `span` if this instance keeps it, taken out of the span.
    fn take_own<S>(&self, span: &SpanRef<'_, S>) -> Option<SpanTiming>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let mut extensions = span.extensions_mut();
        let state = extensions.remove::<SpanTiming>()?;
        if state.owner != self.owner {
            // Another instance's: back where it was. Taking it out first costs a span seen
            // by one instance, the usual case, a single look in the span's extensions.
            extensions.insert(state);
            return None;
        }
        LIVE.fetch_sub(1, Ordering::Relaxed);
        Some(state)
    }

    /// The request current here, else that of the nearest span from `from` up that has one.
    fn request<'c, S>(&self, from: impl FnOnce() -> Option<SpanRef<'c, S>>) -> Option<Timings>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        if let Some(timings) = Timings::current() {
            return Some(timings);
        }
        if !self.any_live() {
            return None;
        }
        from()?.scope().find_map(|span| {
            span.extensions()
                .get::<SpanTiming>()
                .map(|state| state.timings.clone())
        })
    }
}

/// Whether a span from `from` up is timed under `name` already.
fn counted<S>(from: Option<SpanRef<'_, S>>, name: &str) -> bool
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(from) = from else {
        return false;
    };
    from.scope().any(|span| {
        span.extensions()
            .get::<SpanTiming>()
            .is_some_and(|state| state.selected && state.name.as_deref() == Some(name))
    })
}

impl<S> tracing_subscriber::Layer<S> for Layer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let metadata = attrs.metadata();
        let declared = fields::declared(metadata);
        let selected = self.all_spans || declared;
        if !selected && self.events.is_empty() {
            return;
        }
        let Some(timings) = self.request(|| ctx.span(id).and_then(|span| span.parent())) else {
            return;
        };
        let mut state = SpanTiming::new(self.owner, timings, selected);
        if self.all_spans {
            state.name = Some(Cow::Borrowed(metadata.name()));
        }
        if declared {
            attrs.record(&mut Fields {
                name: &mut state.name,
                description: &mut state.description,
            });
        }
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        match extensions.replace(state) {
            None => {
                LIVE.fetch_add(1, Ordering::Relaxed);
            }
            // Another instance keeps it only to carry the request (it maps events): this one
            // times it instead, and the count of states stays as it is.
            Some(other) if !other.selected && selected => {}
            // Timed by another instance already: its state goes back in place of this one's.
            Some(other) => drop(extensions.replace(other)),
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if !self.any_live() {
            return;
        }
        let Some(span) = ctx.span(id) else {
            return;
        };
        if !fields::declared(span.metadata()) {
            return;
        }
        let mut extensions = span.extensions_mut();
        if let Some(state) = extensions.get_mut::<SpanTiming>() {
            if state.selected && state.owner == self.owner {
                values.record(&mut Fields {
                    name: &mut state.name,
                    description: &mut state.description,
                });
            }
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if !self.any_live() {
            return;
        }
        if let Some(span) = ctx.span(id) {
            if let Some(state) = span.extensions_mut().get_mut::<SpanTiming>() {
                if state.owner == self.owner {
                    state.enter(self.busy);
                }
            }
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        // Wall time needs no exits, except to note a panic going through the span.
        let panicking = std::thread::panicking();
        if !(self.busy || panicking) || !self.any_live() {
            return;
        }
        if let Some(span) = ctx.span(id) {
            if let Some(state) = span.extensions_mut().get_mut::<SpanTiming>() {
                if state.owner != self.owner {
                    return;
                }
                if panicking {
                    state.exit_panicking();
                }
                if self.busy {
                    state.exit();
                }
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if !self.any_live() {
            return;
        }
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let Some(state) = self.take_own(&span) else {
            return;
        };
        let Some((timings, finished)) = state.finish(self.busy) else {
            return;
        };
        if counted(span.parent(), &finished.name) {
            return;
        }
        let label = Label::Text {
            name: finished.name,
            description: finished.description,
        };
        timings.add_span(
            label,
            finished.started.into(),
            finished.ended.into(),
            finished.outcome,
        );
    }

    fn event_enabled(&self, _event: &Event<'_>, _ctx: Context<'_, S>) -> bool {
        if !self.events.is_empty() {
            events::offered();
        }
        true
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if self.events.is_empty() {
            return;
        }
        let target = event.metadata().target();
        let Some(mapped) = self.events.iter().find(|mapped| mapped.matches(target)) else {
            return;
        };
        let Some(elapsed) = events::elapsed(event) else {
            return;
        };
        let Some(timings) = self.request(|| ctx.event_span(event)) else {
            return;
        };
        if counted(ctx.event_span(event), &mapped.name) || !events::claim() {
            return;
        }
        let end = Instant::now();
        let start = end.checked_sub(elapsed).unwrap_or(end);
        let label = Label::Text {
            name: mapped.name.clone(),
            description: None,
        };
        timings.add_span(label, start.into(), end.into(), Outcome::Completed);
    }
}
