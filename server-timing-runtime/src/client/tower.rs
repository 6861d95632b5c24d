//! Outgoing calls through tower HTTP clients (hyper-util's `Client`, a `tower::Service`
//! stack): a layer that times each call and merges the response's `Server-Timing`.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::client::call::{Call, Names, forward_trace};

/// A [`Layer`] for HTTP clients: inside a request's scope, each call through the wrapped
/// service is recorded as `name`, from the response future's first poll until the response
/// head, and the response's
/// `Server-Timing` metrics are merged as `{name}.*`, as `reqwest::Downstream` (feature
/// `reqwest`) does for reqwest. An error is recorded
/// described `error` and returned unchanged; a call dropped before its response is marked
/// cancelled. Outside a scope the layer only passes calls on.
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use server_timing_runtime::tower::DownstreamLayer;
/// use server_timing_runtime::{Options, Timings};
/// use tower_layer::Layer;
/// use tower_service::Service;
///
/// // Stands in for hyper-util's `Client`: a downstream that answers with its own breakdown.
/// #[derive(Clone)]
/// struct Inventory;
/// impl Service<Request<()>> for Inventory {
///     type Response = Response<()>;
///     type Error = Infallible;
///     type Future = std::future::Ready<Result<Response<()>, Infallible>>;
///     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
///         std::task::Poll::Ready(Ok(()))
///     }
///     fn call(&mut self, _: Request<()>) -> Self::Future {
///         std::future::ready(Ok(Response::builder().header("server-timing", "db;dur=2").body(()).unwrap()))
///     }
/// }
///
/// let mut client = DownstreamLayer::new("inventory").layer(Inventory);
/// let timings = Timings::with_options(Options::new().no_total());
/// # futures::executor::block_on(async {
/// timings.scope(client.call(Request::new(()))).await.unwrap();
/// # });
/// let names: Vec<String> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
/// assert_eq!(names, ["inventory", "inventory.db"]);
/// ```
#[derive(Clone, Debug)]
pub struct DownstreamLayer {
    names: Arc<Names>,
}

impl DownstreamLayer {
    /// Record calls as `name` (sanitized if it is not an HTTP token), and merge their
    /// responses' metrics as `name.*`.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use http::{Request, Response};
    /// use server_timing_runtime::tower::DownstreamLayer;
    /// use server_timing_runtime::{Options, Timings};
    /// use tower::{ServiceBuilder, ServiceExt};
    ///
    /// // Stands in for the HTTP client: a downstream that answers with its own breakdown.
    /// let client = ServiceBuilder::new()
    ///     .layer(DownstreamLayer::new("inventory"))
    ///     .service_fn(|_: Request<()>| async {
    ///         Ok::<_, Infallible>(Response::builder().header("server-timing", "db;dur=2").body(()).unwrap())
    ///     });
    /// let timings = Timings::with_options(Options::new().no_total());
    /// futures::executor::block_on(timings.scope(client.oneshot(Request::new(())))).unwrap();
    /// let names: Vec<String> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    /// assert_eq!(names, ["inventory", "inventory.db"]);
    /// ```
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        DownstreamLayer {
            names: Arc::new(Names {
                name: name.into(),
                description: None,
            }),
        }
    }

    /// Describe the call's metric; an error is described as `"{description} (error)"`.
    ///
    /// ```
    /// use http::{Request, Response};
    /// use server_timing_runtime::tower::DownstreamLayer;
    /// use server_timing_runtime::{Options, Timings};
    /// use tower::{ServiceBuilder, ServiceExt};
    ///
    /// // Stands in for the HTTP client: a downstream that cannot be reached.
    /// let client = ServiceBuilder::new()
    ///     .layer(DownstreamLayer::new("inventory").description("Inventory service"))
    ///     .service_fn(|_: Request<()>| async { Err::<Response<()>, _>(std::io::Error::other("refused")) });
    /// let timings = Timings::with_options(Options::new().no_total());
    /// let call = client.oneshot(Request::new(()));
    /// assert!(futures::executor::block_on(timings.scope(call)).is_err());
    /// let metric = &timings.metrics()[0];
    /// assert_eq!((metric.name(), metric.description()), ("inventory", Some("Inventory service (error)")));
    /// ```
    #[must_use]
    pub fn description(self, description: impl Into<Cow<'static, str>>) -> Self {
        DownstreamLayer {
            names: Arc::new(Names {
                name: self.names.name.clone(),
                description: Some(description.into()),
            }),
        }
    }
}

impl<S> Layer<S> for DownstreamLayer {
    type Service = DownstreamService<S>;

    fn layer(&self, inner: S) -> DownstreamService<S> {
        DownstreamService {
            inner,
            names: Arc::clone(&self.names),
        }
    }
}

/// The client service [`DownstreamLayer`] makes.
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use server_timing_runtime::tower::{DownstreamLayer, DownstreamService};
/// use server_timing_runtime::{Options, Timings};
/// use tower::ServiceExt;
/// use tower_layer::Layer;
///
/// let inner = tower::service_fn(|_: Request<()>| async { Ok::<_, Infallible>(Response::new(())) });
/// let client: DownstreamService<_> = DownstreamLayer::new("inventory").layer(inner);
/// let timings = Timings::with_options(Options::new().no_total());
/// futures::executor::block_on(timings.scope(client.oneshot(Request::new(())))).unwrap();
/// assert_eq!(timings.metrics()[0].name(), "inventory");
/// ```
#[derive(Clone, Debug)]
pub struct DownstreamService<S> {
    inner: S,
    names: Arc<Names>,
}

impl<S, B, RB> Service<Request<B>> for DownstreamService<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = DownstreamFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        forward_trace(request.headers_mut());
        DownstreamFuture {
            // Timed from the first poll, as an async `#[server_timing]` fn is: a future may be
            // made outside the scope it is awaited in.
            call: Call::pending(&self.names),
            inner: self.inner.call(request),
        }
    }
}

pin_project! {
    /// The response future of [`DownstreamService`]: the inner one's, recorded when it
    /// resolves (or is dropped).
    ///
    /// ```
    /// # #[derive(Clone)] struct Client;
    /// # impl tower_service::Service<http::Request<()>> for Client {
    /// #     type Response = http::Response<()>;
    /// #     type Error = std::convert::Infallible;
    /// #     type Future = std::future::Ready<Result<http::Response<()>, std::convert::Infallible>>;
    /// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> { std::task::Poll::Ready(Ok(())) }
    /// #     fn call(&mut self, _: http::Request<()>) -> Self::Future { std::future::ready(Ok(http::Response::new(()))) }
    /// # }
    /// use server_timing_runtime::tower::{DownstreamFuture, DownstreamLayer};
    /// use tower_layer::Layer;
    /// use tower_service::Service;
    /// let mut client = DownstreamLayer::new("inventory").layer(Client);
    /// let future: DownstreamFuture<_> = client.call(http::Request::new(()));
    /// assert!(futures::executor::block_on(future).is_ok());
    /// ```
    #[derive(Debug)]
    pub struct DownstreamFuture<F> {
        #[pin]
        inner: F,
        call: Call,
    }
}

impl<F, RB, E> Future for DownstreamFuture<F>
where
    F: Future<Output = Result<Response<RB>, E>>,
{
    type Output = Result<Response<RB>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        this.call.start_here();
        let result = ready!(this.inner.poll(cx));
        match &result {
            Ok(response) => this.call.responded(response.headers()),
            Err(_) => this.call.failed("error"),
        }
        Poll::Ready(result)
    }
}
