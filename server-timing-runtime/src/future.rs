//! Timing futures, and carrying a collector into spawned work.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::clock::Start;
use crate::metric::{Measure, Outcome};
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
        Timed::new(name.into(), None, self)
    }
}

impl<F: Future> FutureExt for F {}

enum State {
    NotStarted,
    Running { timings: Timings, start: Start },
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
        name: Cow<'static, str>,
        description: Option<Cow<'static, str>>,
        state: State,
    }

    impl<F> PinnedDrop for Timed<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            finish(this.state, this.name, this.description, Outcome::Cancelled);
        }
    }
}

impl<F> Timed<F> {
    pub(crate) fn new(name: Cow<'static, str>, description: Option<Cow<'static, str>>, future: F) -> Self {
        Timed {
            future,
            name,
            description,
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
        self.description = Some(description.into());
        self
    }
}

fn finish(
    state: &mut State,
    name: &mut Cow<'static, str>,
    description: &mut Option<Cow<'static, str>>,
    outcome: Outcome,
) {
    if let State::Running { timings, start } = std::mem::replace(state, State::Done) {
        let elapsed = start.elapsed();
        timings.add(
            std::mem::take(name),
            description.take(),
            Measure::Duration(elapsed),
            outcome,
        );
    }
}

/// Records the poll's panic, if it unwinds, before the future is dropped elsewhere.
struct PanicGuard<'a> {
    state: &'a mut State,
    name: &'a mut Cow<'static, str>,
    description: &'a mut Option<Cow<'static, str>>,
}

impl Drop for PanicGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            finish(self.state, self.name, self.description, Outcome::Panicked);
        }
    }
}

impl<F: Future> Future for Timed<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if let State::NotStarted = this.state {
            *this.state = match Timings::current() {
                Some(timings) => State::Running {
                    timings,
                    start: Start::now(),
                },
                None => State::Done,
            };
        }
        if let State::Done = this.state {
            return this.future.poll(cx);
        }
        let guard = PanicGuard {
            state: this.state,
            name: this.name,
            description: this.description,
        };
        let poll = this.future.poll(cx);
        if poll.is_ready() {
            finish(guard.state, guard.name, guard.description, Outcome::Completed);
        }
        poll
    }
}
