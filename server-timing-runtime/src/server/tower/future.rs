//! [`ResponseFuture`]: the inner service's response, polled with the request's collector
//! current, then given its metrics, in its head or announced for its trailer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::header::{CONTENT_LENGTH, TRAILER};
use http::{HeaderValue, Response, StatusCode};
use http_body::Body;
use pin_project_lite::pin_project;

use crate::collector::scope::Scope;
use crate::server::exchange::Exchange;
use crate::server::tower::body::ServerTimingBody;

pin_project! {
    /// The response future of [`ServerTimingService`]: polls the inner service's future with
    /// the request's collector current, then writes the metrics into the response.
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
    /// #     fn call(&mut self, _: Request<String>) -> Self::Future { ready(Ok(Response::new(String::new()))) }
    /// # }
    /// use server_timing_runtime::tower::{ResponseFuture, ServerTimingLayer};
    /// use tower_layer::Layer;
    ///
    /// let mut service = ServerTimingLayer::new().layer(Hello);
    /// let future: ResponseFuture<_> = service.call(Request::new(String::new()));
    /// let response = futures::executor::block_on(future).unwrap();
    /// assert!(response.headers().contains_key("server-timing"));
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Timed {
            #[pin]
            scope: Scope<F>,
            // The layer allows trailers and the request accepts them.
            trailers: bool,
            // After `scope`: dropped after it, so a request cut short reports what its
            // dropped futures recorded.
            exchange: Exchange,
        },
        // `when` said no.
        Untimed {
            #[pin]
            future: F,
        },
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn timed(scope: Scope<F>, trailers: bool, exchange: Exchange) -> Self {
        ResponseFuture {
            kind: Kind::Timed {
                scope,
                trailers,
                exchange,
            },
        }
    }

    pub(crate) fn untimed(future: F) -> Self {
        ResponseFuture {
            kind: Kind::Untimed { future },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body,
{
    type Output = Result<Response<ServerTimingBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (mut scope, trailers, exchange) = match self.project().kind.project() {
            KindProj::Untimed { future } => {
                let response = ready!(future.poll(cx))?;
                return Poll::Ready(Ok(response.map(ServerTimingBody::plain)));
            }
            KindProj::Timed {
                scope,
                trailers,
                exchange,
            } => (scope, *trailers, exchange),
        };
        let mut response = match ready!(exchange.poll(scope.as_mut(), cx)) {
            Ok(response) => response,
            Err(error) => {
                exchange.fail();
                return Poll::Ready(Err(error));
            }
        };
        let timings = scope.timings();
        let sending = exchange.sending(timings, response.headers());
        let in_trailer = sending.is_some() && trailers && body_streams(&response);
        let sent = match sending {
            Some(timings) if in_trailer => {
                response
                    .headers_mut()
                    .append(TRAILER, HeaderValue::from_static("server-timing"));
                // Browsers read `Timing-Allow-Origin` from the response head, never from
                // trailers.
                timings.append_allow_origins(response.headers_mut());
                false
            }
            Some(timings) => timings.append(response.headers_mut()),
            None => false,
        };
        let done = exchange.respond(response.status(), sent).and_then(|mut done| {
            // A body the server will not poll (empty, or not owed) ends with the head.
            if response.body().is_end_stream() || !done.expects_body() {
                done.finish(false);
                None
            } else {
                Some(done)
            }
        });
        // The body is polled with the collector current where what it records goes out (in
        // the trailer) or is handed on (to the hook).
        let body_timings = timings.filter(|_| in_trailer || done.is_some()).cloned();
        Poll::Ready(Ok(
            response.map(|body| ServerTimingBody::new(body, body_timings, in_trailer, done))
        ))
    }
}

/// Whether the response body goes out chunked (HTTP/1.1) or in frames of unknown total
/// (HTTP/2): only then can a trailer follow it.
fn body_streams<B: Body>(response: &Response<B>) -> bool {
    let status = response.status();
    let bodiless =
        status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED;
    let known_length = response.headers().contains_key(CONTENT_LENGTH)
        || response.body().is_end_stream()
        || response.body().size_hint().exact().is_some();
    !bodiless && !known_length
}
