//! [`ServerTimingFuture`]: the inner service's response, polled with the request's collector
//! current, then given its `Server-Timing` field, error responses too.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use actix_web::dev::ServiceResponse;
use actix_web::error::InternalError;
use actix_web::Error;
use pin_project_lite::pin_project;

use crate::collector::scope::Scope;
use crate::server::exchange::Exchange;

pin_project! {
    /// The response future of [`ServerTimingMiddleware`]: the inner service's future, run in
    /// the request's scope, whose response gets the `Server-Timing` field.
    ///
    /// ```
    /// use actix_web::dev::{Service, ServiceResponse, Transform};
    /// use actix_web::test::{ok_service, TestRequest};
    /// use server_timing_runtime::actix::{ServerTiming, ServerTimingFuture};
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let service = ServerTiming::new().new_transform(ok_service()).await.unwrap();
    /// let future: ServerTimingFuture<_, _> = service.call(TestRequest::default().to_srv_request());
    /// let response: ServiceResponse = future.await.unwrap();
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
{
    type Output = Result<ServiceResponse<B>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let exchange = this.exchange;
        let result = ready!(exchange.poll(this.scope.as_mut(), cx));
        let timings = this.scope.timings();
        let (result, status, route, sent) = match result {
            Ok(mut response) => {
                let headers = response.headers_mut();
                let sent = exchange
                    .sending(timings, &*headers)
                    .is_some_and(|t| t.append(headers));
                let status = response.status();
                let route = response.request().match_pattern();
                (Ok(response), status, route, sent)
            }
            Err(error) if exchange.sends(timings) => {
                // The error's own response, with the metrics, in place of the error.
                let mut response = error.error_response();
                let headers = response.headers_mut();
                let sent = exchange
                    .sending(timings, &*headers)
                    .is_some_and(|t| t.append(headers));
                let status = response.status();
                let error = InternalError::from_response(error, response).into();
                (Err(error), status, None, sent)
            }
            Err(error) => {
                let status = error.as_response_error().status_code();
                (Err(error), status, None, false)
            }
        };
        // actix-web 4's `StatusCode` is `http` 0.2's: the same code in the crate's `http`.
        let status =
            http::StatusCode::from_u16(status.as_u16()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(mut done) = exchange.respond(status, sent) {
            done.set_route(route);
            done.finish(false);
        }
        Poll::Ready(result)
    }
}
