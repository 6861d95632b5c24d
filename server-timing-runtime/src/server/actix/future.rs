//! [`ServerTimingFuture`]: the inner service's response, polled with the request's collector
//! current, then given its `Server-Timing` field (error responses too) and a body that tells
//! the hook when the request ends.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::Error;
use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::error::InternalError;
use pin_project_lite::pin_project;

use crate::collector::scope::Scope;
use crate::server::actix::body::ServerTimingBody;
use crate::server::exchange::Exchange;

pin_project! {
    /// The response future of [`ServerTimingMiddleware`]: the inner service's future, run in
    /// the request's scope, whose response gets the `Server-Timing` field.
    ///
    /// ```
    /// use actix_web::dev::{Service, Transform};
    /// use actix_web::test::{ok_service, TestRequest};
    /// use server_timing_runtime::actix::{ServerTiming, ServerTimingFuture};
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let service = ServerTiming::new().new_transform(ok_service()).await.unwrap();
    /// let future: ServerTimingFuture<_, _> = service.call(TestRequest::default().to_srv_request());
    /// let response = future.await.unwrap();
    /// assert!(response.headers().contains_key("server-timing"));
    /// # });
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct ServerTimingFuture<F, B> {
        #[pin]
        scope: Scope<F>,
        // After `scope`: dropped after it, so a request cut short reports what its dropped
        // futures recorded.
        exchange: Exchange,
        _body: PhantomData<B>,
    }
}

impl<F, B> ServerTimingFuture<F, B> {
    pub(crate) fn new(scope: Scope<F>, exchange: Exchange) -> Self {
        ServerTimingFuture {
            scope,
            exchange,
            _body: PhantomData,
        }
    }
}

impl<F, B> fmt::Debug for ServerTimingFuture<F, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTimingFuture")
            .field("timings", &self.scope.timings())
            .finish_non_exhaustive()
    }
}

impl<F, B> Future for ServerTimingFuture<F, B>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    B: MessageBody,
{
    type Output = Result<ServiceResponse<ServerTimingBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let exchange = this.exchange;
        let result = ready!(exchange.poll(this.scope.as_mut(), cx));
        let timings = this.scope.timings();
        let mut response = match result {
            Ok(response) => response,
            Err(error) => {
                let (error, status, sent) = if exchange.sends(timings) {
                    // The error's own response, with the metrics, in place of the error.
                    let mut response = error.error_response();
                    let headers = response.headers_mut();
                    let sent = exchange
                        .sending(timings, &*headers)
                        .is_some_and(|t| t.append(headers));
                    let status = response.status();
                    (InternalError::from_response(error, response).into(), status, sent)
                } else {
                    let status = error.as_response_error().status_code();
                    (error, status, false)
                };
                if let Some(mut done) = exchange.respond(crate_status(status), sent) {
                    done.finish(false);
                }
                return Poll::Ready(Err(error));
            }
        };
        let headers = response.headers_mut();
        let sent = exchange
            .sending(timings, &*headers)
            .is_some_and(|t| t.append(headers));
        let Some(mut done) = exchange.respond(crate_status(response.status()), sent) else {
            return Poll::Ready(Ok(response.map_body(|_, body| ServerTimingBody::plain(body))));
        };
        done.set_route(response.request().match_pattern());
        let empty = matches!(
            response.response().body().size(),
            BodySize::None | BodySize::Sized(0)
        );
        let awaited = timings.filter(|_| !empty && done.expects_body()).cloned();
        let response = match awaited {
            // The hook waits for the body, whose polls record into the request.
            Some(timings) => response.map_body(|_, body| ServerTimingBody::awaited(body, timings, done)),
            // A body the server will not poll ends with the head.
            None => {
                done.finish(false);
                response.map_body(|_, body| ServerTimingBody::plain(body))
            }
        };
        Poll::Ready(Ok(response))
    }
}

/// actix-web 4's `StatusCode` (`http` 0.2's) as the crate's `http` one.
fn crate_status(status: actix_web::http::StatusCode) -> http::StatusCode {
    http::StatusCode::from_u16(status.as_u16()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
}
