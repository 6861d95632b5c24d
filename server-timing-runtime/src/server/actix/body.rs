//! [`ServerTimingBody`]: the response body, wrapped as actix-web's own `Logger` wraps it to
//! see its end: polled with the request's collector current where a hook waits, so that what
//! the body does counts in what the hook is handed, and the hook run once it ends.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use pin_project_lite::pin_project;

use crate::collector::timings::Timings;
use crate::export::hook::Pending;

pin_project! {
    /// The response body of [`ServerTimingMiddleware`](super::ServerTimingMiddleware): the
    /// inner body as it is, or, where an `on_complete` hook waits for the request's end,
    /// polled with the request's collector current, the hook run when it ends (or, dropped
    /// before, as an aborted request).
    ///
    /// ```
    /// use actix_web::body::{to_bytes, MessageBody};
    /// use actix_web::dev::{Service, Transform};
    /// use actix_web::test::{ok_service, TestRequest};
    /// use server_timing_runtime::actix::{ServerTiming, ServerTimingBody};
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let service = ServerTiming::new().new_transform(ok_service()).await.unwrap();
    /// let response = service.call(TestRequest::default().to_srv_request()).await.unwrap();
    /// let body: ServerTimingBody<_> = response.into_body();
    /// assert_eq!(to_bytes(body).await.ok().unwrap(), "");
    /// # });
    /// ```
    pub struct ServerTimingBody<B> {
        #[pin]
        inner: B,
        // The collector current on every poll of `inner`, where a hook waits.
        timings: Option<Timings>,
        // After `inner`: dropped after it, so that the hook of a body dropped unfinished
        // (the client went away) runs once the body is gone.
        done: Option<Box<Pending>>,
    }
}

impl<B> ServerTimingBody<B> {
    /// The inner body as it is.
    pub(crate) fn plain(inner: B) -> Self {
        ServerTimingBody {
            inner,
            timings: None,
            done: None,
        }
    }

    /// `inner`, with `done` waiting for its end and its polls in `timings`' scope.
    pub(crate) fn awaited(inner: B, timings: Timings, done: Box<Pending>) -> Self {
        ServerTimingBody {
            inner,
            timings: Some(timings),
            done: Some(done),
        }
    }
}

impl<B: fmt::Debug> fmt::Debug for ServerTimingBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTimingBody")
            .field("inner", &self.inner)
            .field("awaited", &self.done.is_some())
            .finish()
    }
}

impl<B: MessageBody> MessageBody for ServerTimingBody<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let mut this = self.project();
        let polled = match this.timings {
            Some(timings) => timings.sync_scope(|| this.inner.as_mut().poll_next(cx)),
            None => this.inner.as_mut().poll_next(cx),
        };
        let polled = ready!(polled);
        let ended = match &polled {
            None => Some(false),
            Some(Err(_)) => Some(true),
            Some(Ok(_)) => None,
        };
        if let Some(aborted) = ended {
            if let Some(mut done) = this.done.take() {
                done.finish(aborted);
            }
        }
        Poll::Ready(polled)
    }

    fn try_into_bytes(self) -> Result<Bytes, Self> {
        let ServerTimingBody { inner, timings, done } = self;
        match inner.try_into_bytes() {
            Ok(bytes) => {
                // The whole body at once: it is done.
                if let Some(mut done) = done {
                    done.finish(false);
                }
                Ok(bytes)
            }
            Err(inner) => Err(ServerTimingBody { inner, timings, done }),
        }
    }
}
