//! One request through a server adapter, whatever its options: whether its metrics go out
//! with the response, and the `on_complete` hook that waits for its end.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::StatusCode;

use crate::collector::response::ResponseHead;
use crate::collector::scope::Scope;
use crate::collector::timings::Timings;
use crate::export::hook::Pending;

/// A timed request's state in its adapter, from its head to its end.
pub(crate) struct Exchange {
    /// `send_when` holds: the metrics go out with the response.
    send: bool,
    /// The hook, until the request is done.
    done: Option<Box<Pending>>,
}

impl Exchange {
    pub(crate) fn new(send: bool, done: Option<Box<Pending>>) -> Self {
        Exchange { send, done }
    }

    /// Whether the metrics go out with the response.
    pub(crate) fn send_when(&mut self, send: bool) {
        self.send = send;
    }

    /// Have `done` wait for the request's end.
    pub(crate) fn wait(&mut self, done: Box<Pending>) {
        self.done = Some(done);
    }

    /// Poll the request's future, marked for the hook so that a poll that unwinds (the
    /// handler panicked) is reported as such.
    pub(crate) fn poll<F: Future>(
        &mut self,
        scope: Pin<&mut Scope<F>>,
        cx: &mut Context<'_>,
    ) -> Poll<F::Output> {
        self.polling(true);
        let polled = scope.poll(cx);
        self.polling(false);
        polled
    }

    fn polling(&mut self, polling: bool) {
        if let Some(done) = self.done.as_mut() {
            done.polling(polling);
        }
    }

    /// The collector whose metrics go out with the response whose head is `head`, if they
    /// do, with the cache rule applied to it: what every way of sending them (a header, a
    /// trailer) writes.
    pub(crate) fn sending<'t>(
        &self,
        timings: Option<&'t Timings>,
        head: &impl ResponseHead,
    ) -> Option<&'t Timings> {
        let timings = timings.filter(|_| self.send)?;
        timings.at_response_head(head);
        Some(timings)
    }

    /// Whether the metrics of `timings` go out with the response.
    #[cfg_attr(not(feature = "actix-web"), allow(dead_code))]
    pub(crate) fn sends(&self, timings: Option<&Timings>) -> bool {
        self.send && timings.is_some()
    }

    /// The response head is ready (`sent`: with the metrics): the hook, if there is one, to
    /// run once the body is done.
    pub(crate) fn respond(&mut self, status: StatusCode, sent: bool) -> Option<Box<Pending>> {
        let mut done = self.done.take()?;
        done.respond(status, sent);
        Some(done)
    }

    /// No response: the server drops the connection.
    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn fail(&mut self) {
        if let Some(mut done) = self.respond(StatusCode::INTERNAL_SERVER_ERROR, false) {
            done.finish(true);
        }
    }
}
