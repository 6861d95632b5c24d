//! [`ServerTimingService`], what [`ServerTimingLayer`] makes of a service: a collector for each
//! request, current while the inner service is called.

use std::task::{Context, Poll};

use http::header::TE;
use http::{Method, Request, Response, Version};
use http_body::Body;

use crate::collector::scope::Scope;
use crate::collector::timings::Timings;
use crate::export::hook::{Path, Pending};
use crate::server::exchange::Exchange;
use crate::server::tower::body::ServerTimingBody;
use crate::server::tower::future::ResponseFuture;
use crate::server::tower::layer::ServerTimingLayer;

/// The service [`ServerTimingLayer`] wraps around an inner service.
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
/// use server_timing_runtime::tower::{ServerTimingLayer, ServerTimingService};
/// use tower_layer::Layer;
///
/// let mut service: ServerTimingService<Hello> = ServerTimingLayer::new().layer(Hello);
/// let response = futures::executor::block_on(service.call(Request::new(String::new()))).unwrap();
/// assert!(response.headers()["server-timing"].to_str().unwrap().starts_with("total;dur="));
/// ```
#[derive(Clone, Debug)]
pub struct ServerTimingService<S> {
    inner: S,
    layer: ServerTimingLayer,
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for ServerTimingService<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body,
{
    type Response = Response<ServerTimingBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let layer = &self.layer;
        let (timed, send) = if layer.when.is_none() && layer.send_when.is_none() {
            (true, true)
        } else {
            let (parts, body) = request.into_parts();
            let timed = layer.when.as_ref().is_none_or(|when| when(&parts));
            let send = timed && layer.send_when.as_ref().is_none_or(|send_when| send_when(&parts));
            request = Request::from_parts(parts, body);
            (timed, send)
        };
        if !timed {
            return ResponseFuture::untimed(self.inner.call(request));
        }
        let trailers = send && layer.trailers && accepts_trailers(&request);
        let timings = Timings::for_request(layer.options.clone(), request.headers());
        let done = layer.on_complete.as_ref().map(|hook| {
            let mut done = Pending::new(
                hook.clone(),
                timings.clone(),
                request.method().clone(),
                Path::Uri(request.uri().clone()),
            );
            done.set_route(route(&request));
            done
        });
        // Routers do work in `call` (axum matches the route there), so that is timed too.
        let future = timings.sync_scope(|| self.inner.call(request));
        ResponseFuture::timed(
            Scope::new(Some(timings), future),
            trailers,
            Exchange::new(send, done),
        )
    }
}

impl<S> tower_layer::Layer<S> for ServerTimingLayer {
    type Service = ServerTimingService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ServerTimingService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The route pattern the router matched, where it says (axum's `MatchedPath`, present when
/// this layer runs after routing).
fn route<B>(request: &Request<B>) -> Option<String> {
    #[cfg(feature = "axum")]
    {
        request
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map(|matched| matched.as_str().to_owned())
    }
    #[cfg(not(feature = "axum"))]
    {
        let _ = request;
        None
    }
}

/// Whether the client can take trailers on this request's response: `TE: trailers`, on a
/// protocol with a chunked or framed body, and a method whose response has a body.
fn accepts_trailers<B>(request: &Request<B>) -> bool {
    request.version() >= Version::HTTP_11
        && request.method() != Method::HEAD
        && request
            .headers()
            .get_all(TE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|coding| {
                coding
                    .split(';')
                    .next()
                    .is_some_and(|name| name.trim().eq_ignore_ascii_case("trailers"))
            })
}
