//! What the layer keeps in a span's extensions: the request it belongs to and its timing.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use crate::collector::metric::Outcome;
use crate::collector::timings::Timings;

/// One span's state, from its creation to its close.
pub(crate) struct SpanTiming {
    /// The instance of the layer that keeps this state: a span seen by several instances is
    /// timed by one, and the others leave its state alone.
    pub(crate) owner: u64,
    /// The request the span belongs to.
    pub(crate) timings: Timings,
    /// Whether the span is timed; if not, it only carries its request to what runs under it.
    pub(crate) selected: bool,
    /// The metric name: `None` until a string `server_timing` value is seen (and for ever, for
    /// a span that is not timed).
    pub(crate) name: Option<Cow<'static, str>>,
    pub(crate) description: Option<Cow<'static, str>>,
    first_enter: Option<Instant>,
    /// Whether the span was exited, or found still open, while its thread was unwinding.
    panicked: bool,
    /// For busy time: since when the span has been entered, and how deep.
    entered: Option<Instant>,
    depth: u32,
    busy: Duration,
}

/// A closed span's recording.
pub(crate) struct Finished {
    pub(crate) name: Cow<'static, str>,
    pub(crate) description: Option<Cow<'static, str>>,
    pub(crate) started: Instant,
    /// Its close for wall time; its first enter plus the time it was entered for busy time.
    pub(crate) ended: Instant,
    pub(crate) outcome: Outcome,
}

impl SpanTiming {
    pub(crate) fn new(owner: u64, timings: Timings, selected: bool) -> Self {
        SpanTiming {
            owner,
            timings,
            selected,
            name: None,
            description: None,
            first_enter: None,
            panicked: false,
            entered: None,
            depth: 0,
            busy: Duration::ZERO,
        }
    }

    /// The span is entered (`busy`: busy time is measured).
    pub(crate) fn enter(&mut self, busy: bool) {
        if !self.selected {
            return;
        }
        if self.first_enter.is_none() {
            let now = Instant::now();
            self.first_enter = Some(now);
            if busy {
                self.entered = Some(now);
                self.depth = 1;
            }
            return;
        }
        if busy {
            // Entered again while entered (a nested `in_scope`, or on a second thread): the
            // interval runs until the outermost exit.
            if self.depth == 0 {
                self.entered = Some(Instant::now());
            }
            self.depth = self.depth.saturating_add(1);
        }
    }

    /// The span is exited while its thread unwinds: the panic went through it. Noted now
    /// because the span itself may close later, once the panic is caught.
    pub(crate) fn exit_panicking(&mut self) {
        self.panicked = true;
    }

    /// The span is exited (only called when busy time is measured).
    pub(crate) fn exit(&mut self) {
        if self.depth == 0 {
            return;
        }
        self.depth -= 1;
        if self.depth == 0 {
            if let Some(entered) = self.entered.take() {
                self.busy = self.busy.saturating_add(entered.elapsed());
            }
        }
    }

    /// The recording of the span, now closed: `None` when it is not timed, has no name, or
    /// was never entered.
    pub(crate) fn finish(self, busy: bool) -> Option<(Timings, Finished)> {
        let started = self.first_enter?;
        let name = self.name.filter(|_| self.selected)?;
        let ended = if busy {
            started.checked_add(self.busy).unwrap_or(started)
        } else {
            Instant::now()
        };
        let outcome = if self.panicked || std::thread::panicking() {
            Outcome::Panicked
        } else {
            Outcome::Completed
        };
        let finished = Finished {
            name,
            description: self.description,
            started,
            ended,
            outcome,
        };
        Some((self.timings, finished))
    }
}
