//! Timing futures, and carrying a collector into spawned work.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::collector::clock::Moment;
use crate::collector::current::{is_current, with_current};
use crate::collector::label::{CallSite, Label};
use crate::collector::metric::Outcome;
use crate::collector::scope::Scope;
use crate::collector::timings::Timings;

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

/// Where a timed future's recording goes: a label given at run time, or the call site of a
/// `#[server_timing]` fn (checked when compiled, so batched per thread like a sync fn's).
trait Filing {
    /// Record work from `start` to `end` into the collector current on this thread, if any.
    fn record_here(&mut self, start: Moment, end: Moment, outcome: Outcome);
    /// Record into `timings`, current here or not.
    fn record_into(&mut self, timings: &Timings, start: Moment, end: Moment, outcome: Outcome);
}

impl Filing for Label {
    fn record_here(&mut self, start: Moment, end: Moment, outcome: Outcome) {
        let label = self.take();
        with_current(|inner| inner.add_span(label, start, end, outcome));
    }

    fn record_into(&mut self, timings: &Timings, start: Moment, end: Moment, outcome: Outcome) {
        timings.add_span(self.take(), start, end, outcome);
    }
}

impl Filing for &'static CallSite {
    fn record_here(&mut self, start: Moment, end: Moment, outcome: Outcome) {
        let site = *self;
        with_current(|inner| inner.record_call(site, start, end, outcome));
    }

    fn record_into(&mut self, timings: &Timings, start: Moment, end: Moment, outcome: Outcome) {
        timings.add_span(Label::Site(self), start, end, outcome);
    }
}

enum State {
    /// Not polled yet, or in its first poll: that poll times itself (see `FirstPoll`).
    NotStarted,
    /// Past a first poll that returned `Pending`: the collector is held from then on, since
    /// later polls may run anywhere.
    Running {
        timings: Timings,
        start: Moment,
    },
    Done,
}

pin_project! {
    /// A future timed under a name: made by [`FutureExt::timed`].
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
            dropped(this.state, this.label);
        }
    }
}

pin_project! {
    /// The future of a `#[server_timing]` async fn (or fn returning a future): [`Timed`] with
    /// the fn's call site in place of a label, and `check`, which tells whether its output is
    /// an `Err(_)`. Not a public API.
    ///
    /// ```
    /// use server_timing_runtime::__private::{timed, CallSite};
    /// static SITE: CallSite = CallSite::new("seven", "");
    /// assert_eq!(futures::executor::block_on(timed(&SITE, async { 7 }, |_| false)), 7);
    /// ```
    #[doc(hidden)]
    #[must_use = "futures do nothing unless polled"]
    pub struct TimedCall<F, C> {
        #[pin]
        future: F,
        site: &'static CallSite,
        check: C,
        state: State,
    }

    impl<F, C> PinnedDrop for TimedCall<F, C> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            dropped(this.state, this.site);
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
    /// use server_timing_runtime::{FutureExt, Timings};
    ///
    /// let timings = Timings::new();
    /// let timed = async {}.timed("db").description("DB read");
    /// futures::executor::block_on(timings.scope(timed));
    /// let db = &timings.metrics()[0];
    /// assert_eq!((db.name(), db.description()), ("db", Some("DB read")));
    /// ```
    pub fn description(mut self, description: impl Into<Cow<'static, str>>) -> Self {
        self.label = self.label.take().with_description(description.into());
        self
    }
}

impl<F, C> TimedCall<F, C> {
    pub(crate) fn new(site: &'static CallSite, future: F, check: C) -> Self {
        TimedCall {
            future,
            site,
            check,
            state: State::NotStarted,
        }
    }
}

impl<F: Future> Future for Timed<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        poll_timed(this.future, this.state, this.label, &|_| false, cx)
    }
}

impl<F: Future, C: Fn(&F::Output) -> bool> Future for TimedCall<F, C> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        poll_timed(this.future, this.state, this.site, this.check, cx)
    }
}

/// How a future that is ready ended, by what `check` says of its output.
fn outcome_of<T>(poll: &Poll<T>, check: &impl Fn(&T) -> bool) -> Outcome {
    match poll {
        Poll::Ready(output) if check(output) => Outcome::Failed,
        _ => Outcome::Completed,
    }
}

fn poll_timed<F: Future>(
    future: Pin<&mut F>,
    state: &mut State,
    filing: &mut impl Filing,
    check: &impl Fn(&F::Output) -> bool,
    cx: &mut Context<'_>,
) -> Poll<F::Output> {
    match state {
        State::NotStarted => {
            if !is_current() {
                *state = State::Done;
                return future.poll(cx);
            }
            let first = FirstPoll {
                start: Some(Moment::now()),
                state,
                filing,
            };
            let poll = future.poll(cx);
            first.end(poll.is_ready().then(|| outcome_of(&poll, check)));
            poll
        }
        State::Done => future.poll(cx),
        State::Running { .. } => {
            let guard = PanicGuard { state, filing };
            let poll = future.poll(cx);
            if poll.is_ready() {
                finish(guard.state, guard.filing, outcome_of(&poll, check));
            }
            poll
        }
    }
}

/// Dropped before it completed: the time so far, marked cancelled.
fn dropped(state: &mut State, filing: &mut impl Filing) {
    // Most are dropped once done: nothing to do then.
    if !matches!(state, State::Done) {
        finish(state, filing, Outcome::Cancelled);
    }
}

/// Record a future that held its collector since its first poll returned `Pending`.
fn finish(state: &mut State, filing: &mut impl Filing, outcome: Outcome) {
    let State::Running { timings, start } = std::mem::replace(state, State::Done) else {
        return;
    };
    let end = Moment::now();
    if timings.is_current_here() {
        filing.record_here(start, end, outcome);
    } else {
        filing.record_into(&timings, start, end, outcome);
    }
}

/// The first poll, run with a collector current: the one current until that poll returns, so
/// none is held unless the poll returns `Pending` (most timed futures complete in it).
/// Dropped without `end`, i.e. while its poll unwinds, it records the panic.
struct FirstPoll<'a, L: Filing> {
    start: Option<Moment>,
    state: &'a mut State,
    filing: &'a mut L,
}

impl<L: Filing> FirstPoll<'_, L> {
    /// The first poll returned: how the future ended if it is ready (`None` if it is not).
    fn end(mut self, ready: Option<Outcome>) {
        let Some(start) = self.start.take() else {
            return;
        };
        let next = if let Some(outcome) = ready {
            self.filing.record_here(start, Moment::now(), outcome);
            State::Done
        } else {
            match Timings::current() {
                Some(timings) => State::Running { timings, start },
                None => State::Done,
            }
        };
        // The state is `NotStarted` through the first poll: nothing to drop.
        std::mem::forget(std::mem::replace(self.state, next));
    }
}

impl<L: Filing> Drop for FirstPoll<'_, L> {
    fn drop(&mut self) {
        if let Some(start) = self.start.take() {
            self.filing.record_here(start, Moment::now(), Outcome::Panicked);
            *self.state = State::Done;
        }
    }
}

/// Records a later poll's panic, if it unwinds, before the future is dropped elsewhere.
struct PanicGuard<'a, L: Filing> {
    state: &'a mut State,
    filing: &'a mut L,
}

impl<L: Filing> Drop for PanicGuard<'_, L> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            finish(self.state, self.filing, Outcome::Panicked);
        }
    }
}
