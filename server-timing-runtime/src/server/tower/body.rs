//! [`ServerTimingBody`]: the response body, polled with the request's collector current where
//! that matters, followed by the metrics trailer when they go in one, and the end of the
//! request for its hook.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use crate::collector::timings::Timings;
use crate::export::hook::Pending;
use crate::header::names::SERVER_TIMING;

pin_project! {
    /// The response body of [`ServerTimingService`]: the inner body as is, or, when the metrics
    /// go in a trailer, the inner body polled with the request's collector current and followed
    /// by the `Server-Timing` trailer.
    ///
    /// ```
    /// # use std::convert::Infallible;
    /// # use std::future::{ready, Ready};
    /// # use std::task::{Context, Poll};
    /// # use http::{Request, Response};
    /// # use tower_service::Service;
    /// # #[derive(Clone)]
    /// # struct Hello;
    /// # impl Service<Request<String>> for Hello {
    /// #     type Response = Response<String>;
    /// #     type Error = Infallible;
    /// #     type Future = Ready<Result<Response<String>, Infallible>>;
    /// #     fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> { Poll::Ready(Ok(())) }
    /// #     fn call(&mut self, _: Request<String>) -> Self::Future { ready(Ok(Response::new("hi".to_owned()))) }
    /// # }
    /// use http_body::Body;
    /// use server_timing_runtime::tower::{ServerTimingBody, ServerTimingLayer};
    /// use tower_layer::Layer;
    ///
    /// let mut service = ServerTimingLayer::new().trailers(true).layer(Hello);
    /// let response = futures::executor::block_on(service.call(Request::new(String::new()))).unwrap();
    /// let body: &ServerTimingBody<String> = response.body();
    /// // No `TE: trailers` and a body of known length: the metrics are in the header.
    /// assert_eq!(body.size_hint().exact(), Some(2));
    /// assert!(response.headers().contains_key("server-timing"));
    /// ```
    pub struct ServerTimingBody<B> {
        #[pin]
        inner: B,
        // The request's collector, current on every poll of `inner`: where the metrics go
        // in a trailer, or a hook waits for the body's end.
        timings: Option<Timings>,
        trailer: Trailer,
        // The `on_complete` hook, run at the body's end; dropped unrun (after `inner`), it
        // reports the request as aborted.
        done: Option<Box<Pending>>,
    }
}

/// Where the metrics trailer stands.
enum Trailer {
    /// None is owed: the metrics went in the head, or nowhere.
    None,
    /// Owed after the inner body's last frame.
    Owed,
    /// Sent: the body is over.
    Sent,
}

impl<B> ServerTimingBody<B> {
    /// The inner body as it is.
    pub(crate) fn plain(inner: B) -> Self {
        ServerTimingBody::new(inner, None, false, None)
    }

    pub(crate) fn new(inner: B, timings: Option<Timings>, trailer: bool, done: Option<Box<Pending>>) -> Self {
        ServerTimingBody {
            inner,
            timings,
            trailer: if trailer { Trailer::Owed } else { Trailer::None },
            done,
        }
    }
}

impl<B: fmt::Debug> fmt::Debug for ServerTimingBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTimingBody")
            .field("inner", &self.inner)
            .field("trailer_pending", &matches!(self.trailer, Trailer::Owed))
            .finish()
    }
}

impl<B: Body> Body for ServerTimingBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let mut this = self.project();
        if matches!(this.trailer, Trailer::Sent) {
            return Poll::Ready(None);
        }
        let polled = match this.timings {
            Some(timings) => timings.sync_scope(|| this.inner.as_mut().poll_frame(cx)),
            None => this.inner.as_mut().poll_frame(cx),
        };
        let frame = match ready!(polled) {
            Some(Ok(mut frame)) => {
                if let Some(trailers) = frame.trailers_mut() {
                    if take_owed(this.trailer) {
                        append_metrics(trailers, this.timings.as_ref(), this.done);
                    }
                }
                Some(Ok(frame))
            }
            Some(Err(error)) => {
                // A failed body sends no trailers; the inner body says what follows.
                *this.trailer = Trailer::None;
                Some(Err(error))
            }
            None if take_owed(this.trailer) => {
                let mut trailers = HeaderMap::with_capacity(1);
                append_metrics(&mut trailers, this.timings.as_ref(), this.done)
                    .then(|| Ok(Frame::trailers(trailers)))
            }
            None => None,
        };
        let ended = match &frame {
            None => Some(false),
            Some(Err(_)) => Some(true),
            Some(Ok(frame)) if frame.is_trailers() => Some(false),
            // The server stops polling once the body says it is over.
            Some(Ok(_)) if !matches!(this.trailer, Trailer::Owed) && this.inner.is_end_stream() => {
                Some(false)
            }
            Some(Ok(_)) => None,
        };
        if let Some(aborted) = ended {
            if let Some(mut done) = this.done.take() {
                done.finish(aborted);
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        match self.trailer {
            Trailer::None => self.inner.is_end_stream(),
            Trailer::Owed => false,
            Trailer::Sent => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.trailer {
            Trailer::None | Trailer::Owed => self.inner.size_hint(),
            Trailer::Sent => SizeHint::with_exact(0),
        }
    }
}

/// Whether the metrics trailer is owed; it is sent from now on.
fn take_owed(trailer: &mut Trailer) -> bool {
    let owed = matches!(trailer, Trailer::Owed);
    if owed {
        *trailer = Trailer::Sent;
    }
    owed
}

/// Close the collector and append its value to `trailers` (`Timing-Allow-Origin` went in the
/// head); `done` learns that the metrics were sent. Whether a field was appended.
fn append_metrics(
    trailers: &mut HeaderMap,
    timings: Option<&Timings>,
    done: &mut Option<Box<Pending>>,
) -> bool {
    let Some(value) = timings.and_then(Timings::finish) else {
        return false;
    };
    trailers.append(SERVER_TIMING, value);
    if let Some(done) = done {
        done.sent_in_trailer();
    }
    true
}
