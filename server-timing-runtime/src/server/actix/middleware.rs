//! [`ServerTimingMiddleware`]: the service the middleware wraps around the inner one, making a
//! collector for each request it times.

use std::fmt;
use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};

use crate::collector::scope::Scope;
use crate::collector::timings::Timings;
use crate::export::hook::{Hook, Path, Pending};
use crate::options::Options;
use crate::server::actix::body::ServerTimingBody;
use crate::server::actix::future::ServerTimingFuture;
use crate::server::actix::{Predicate, ServerTiming};
use crate::server::exchange::Exchange;
use crate::trace::{self, TRACEPARENT_NAME, TRACESTATE_NAME};

// Statics, looked up by reference: a `&str` would be parsed on every request, and a name that
// is not a standard one copied into a new allocation. (actix-web 4's header names are
// `http` 0.2's, so the crate's own cannot be used.)
static TRACEPARENT: HeaderName = HeaderName::from_static(TRACEPARENT_NAME);
static TRACESTATE: HeaderName = HeaderName::from_static(TRACESTATE_NAME);

/// What every request of one worker's middleware reads.
struct Inner {
    options: Options,
    when: Option<Arc<Predicate>>,
    send_when: Option<Arc<Predicate>>,
    on_complete: Option<Hook>,
}

impl<S, B> Transform<S, ServiceRequest> for ServerTiming
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<ServerTimingBody<B>>;
    type Error = Error;
    type Transform = ServerTimingMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ServerTimingMiddleware {
            service,
            inner: Rc::new(Inner {
                options: self.options.clone(),
                when: self.when.clone(),
                send_when: self.send_when.clone(),
                on_complete: self.on_complete.clone(),
            }),
        }))
    }
}

/// The [`ServerTiming`] service wrapping an inner service; made by its [`Transform`].
///
/// ```
/// use actix_web::dev::{Service, ServiceResponse, Transform};
/// use actix_web::test::{ok_service, TestRequest};
/// use server_timing_runtime::actix::ServerTiming;
///
/// # actix_web::rt::System::new().block_on(async {
/// let service = ServerTiming::new().new_transform(ok_service()).await.unwrap();
/// let response = service.call(TestRequest::default().to_srv_request()).await.unwrap();
/// assert!(response.headers().contains_key("server-timing"));
/// # });
/// ```
pub struct ServerTimingMiddleware<S> {
    service: S,
    inner: Rc<Inner>,
}

impl<S> fmt::Debug for ServerTimingMiddleware<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTimingMiddleware")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for ServerTimingMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<ServerTimingBody<B>>;
    type Error = Error;
    type Future = ServerTimingFuture<S::Future, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let wanted = self.inner.when.as_ref().is_none_or(|when| when(&req));
        if !wanted {
            // No collector current for what the inner service does, whatever is current here.
            return ServerTimingFuture::new(
                Scope::new(None, self.service.call(req)),
                Exchange::new(false, None),
            );
        }
        let send = self
            .inner
            .send_when
            .as_ref()
            .is_none_or(|send_when| send_when(&req));
        let options = self.inner.options.clone();
        let trace = options.config().trace_context.then(|| {
            let headers = req.headers();
            trace::from_request(
                || headers.get_all(&TRACEPARENT).map(HeaderValue::as_bytes),
                || headers.get_all(&TRACESTATE).map(HeaderValue::as_bytes),
            )
        });
        let timings = Timings::with_trace(options, trace);
        let done = self.inner.on_complete.as_ref().map(|hook| {
            // actix-web 4's `Method` is `http` 0.2's: the same method in the crate's `http`.
            let method = http::Method::from_bytes(req.method().as_str().as_bytes()).unwrap_or_default();
            Pending::new(
                hook.clone(),
                timings.clone(),
                method,
                Path::Actix(req.uri().clone()),
            )
        });
        // Inner middleware may record while it builds its future, not only while polled.
        let future = timings.sync_scope(|| self.service.call(req));
        ServerTimingFuture::new(Scope::new(Some(timings), future), Exchange::new(send, done))
    }
}
