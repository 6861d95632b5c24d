//! Timing futures, and carrying a collector into spawned work.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use crate::clock::Start;
use crate::label::Label;
use crate::metric::{Measure, Outcome};
use crate::staging;
use crate::timings::{Scope, Timings};

/// Extension methods for every future.
///
/// ```
/// use server_timing_runtime::{FutureExt, Timings};
///
/// # futures::executor::block_on(async {
/// let timings = Timings::new();
/// timings
///     .scope(async {
///         // Carry the request's collector into work that another task or thread will poll.
///         let work = async { 1 + 1 }.timed("compute").in_current_timings();
///         assert_eq!(work.await, 2);
///     })
///     .await;
/// assert_eq!(timings.metrics()[0].name(), "compute");
/// # });
/// ```
pub trait FutureExt: Future + Sized {
    /// Capture the collector current now, and make it current whenever this future is polled
    /// (and dropped), on whatever task or thread: for `tokio::spawn` and the like.
    ///
    /// ```
    /// use server_timing_runtime::{record, FutureExt, Timings};
    /// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)] async fn main() {
    /// let timings = Timings::new();
    /// timings
    ///     .scope(async {
    ///         let task = async { record("bg", std::time::Duration::ZERO) }.in_current_timings();
    ///         tokio::spawn(task).await.unwrap();
    ///     })
    ///     .await;
    /// assert_eq!(timings.metrics()[0].name(), "bg");
    /// # }
    /// ```
    fn in_current_timings(self) -> Scope<Self> {
        Scope::new(Timings::current(), self)
    }

    /// Time this future under `name`, from its first poll to its completion. Dropped before it
    /// completes, it records the time so far, marked as cancelled.
    ///
    /// ```
    /// use server_timing_runtime::{FutureExt, Timings};
    /// # futures::executor::block_on(async {
    /// let timings = Timings::new();
    /// timings.scope(async { async {}.timed("fetch").description("GET /users").await }).await;
    /// assert_eq!(timings.metrics()[0].description(), Some("GET /users"));
    /// # });
    /// ```
    fn timed(self, name: impl Into<Cow<'static, str>>) -> Timed<Self> {
        Timed::new(Label::text(name.into()), self)
    }
}

impl<F: Future> FutureExt for F {}

enum State {
    NotStarted,
    /// In its first poll, with a collector current: the one current until that poll returns.
    FirstPoll {
        start: Start,
    },
    /// Past a first poll that returned `Pending`: the collector is held from then on, since
    /// later polls may run anywhere.
    Running {
        timings: Timings,
        start: Start,
    },
    Done,
}

pin_project! {
    /// A future timed under a name: made by [`FutureExt::timed`] and by
    /// `#[server_timing]` on async fns.
    ///
    /// ```
    /// use server_timing_runtime::{FutureExt, Timed};
    /// let timed: Timed<_> = async { 7 }.timed("seven");
    /// assert_eq!(futures::executor::block_on(timed), 7);
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct Timed<F> {
        #[pin]
        future: F,
        label: Label,
        state: State,
    }

    impl<F> PinnedDrop for Timed<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // Most are dropped once done: nothing to do then.
            if !matches!(this.state, State::Done) {
                finish(this.state, this.label, Outcome::Cancelled);
            }
        }
    }
}

impl<F> Timed<F> {
    pub(crate) fn new(label: Label, future: F) -> Self {
        Timed {
            future,
            label,
            state: State::NotStarted,
        }
    }

    /// Give the metric a description.
    ///
    /// ```
    /// use server_timing_runtime::FutureExt;
    /// let timed = async {}.timed("db").description("DB read");
    /// # drop(timed);
    /// ```
    pub fn description(mut self, description: impl Into<Cow<'static, str>>) -> Self {
        self.label = self.label.take().with_description(description.into());
        self
    }
}

fn finish(state: &mut State, label: &mut Label, outcome: Outcome) {
    let (start, held) = match std::mem::replace(state, State::Done) {
        State::FirstPoll { start } => (start, None),
        State::Running { timings, start } => (start, Some(timings)),
        State::NotStarted | State::Done => return,
    };
    let elapsed = start.elapsed();
    match held {
        Some(timings) if !timings.is_current_here() => {
            timings.add(label.take(), Measure::Duration(elapsed), outcome);
        }
        _ => record_here(label, elapsed, outcome),
    }
}

/// Record a timed call into the collector current here: a call site's completed call into
/// this thread's batch.
#[inline]
fn record_here(label: &mut Label, elapsed: Duration, outcome: Outcome) {
    match label {
        Label::Site(site) => Timings::with_current(|inner| staging::record(inner, site, elapsed, outcome)),
        Label::Text { .. } => {
            let label = label.take();
            Timings::with_current(|inner| inner.add(label, Measure::Duration(elapsed), outcome));
        }
    }
}

/// Records the poll's panic, if it unwinds, before the future is dropped elsewhere.
struct PanicGuard<'a> {
    state: &'a mut State,
    label: &'a mut Label,
}

impl Drop for PanicGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            finish(self.state, self.label, Outcome::Panicked);
        }
    }
}

impl<F: Future> Future for Timed<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if let State::NotStarted = this.state {
            if !Timings::is_current() {
                *this.state = State::Done;
                return this.future.poll(cx);
            }
            let start = Start::now();
            *this.state = State::FirstPoll { start };
            let guard = PanicGuard {
                state: this.state,
                label: this.label,
            };
            let poll = this.future.poll(cx);
            // The collector current now is the one current when this poll began.
            *guard.state = if poll.is_ready() {
                record_here(guard.label, start.elapsed(), Outcome::Completed);
                State::Done
            } else {
                // Most timed futures complete in their first poll and never pay for this clone.
                match Timings::current() {
                    Some(timings) => State::Running { timings, start },
                    None => State::Done,
                }
            };
            return poll;
        }
        if let State::Done = this.state {
            return this.future.poll(cx);
        }
        let guard = PanicGuard {
            state: this.state,
            label: this.label,
        };
        let poll = this.future.poll(cx);
        if poll.is_ready() {
            finish(guard.state, guard.label, Outcome::Completed);
        }
        poll
    }
}
