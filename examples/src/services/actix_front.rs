//! The front as an actix-web service: the same page, the same call to the inventory, its
//! request span made by a `wrap_fn` that continues the caller's trace.
//!
//! tracing-actix-web's `TracingLogger` makes the request span that its `opentelemetry_0_*`
//! features parent from the incoming `traceparent`, but only for the OpenTelemetry versions
//! it has a feature for; a `wrap_fn` does the same with whichever version the service uses.

use std::io;
use std::net::TcpListener;

use actix_web::dev::{Server, Service as _, ServiceRequest};
use actix_web::{App, HttpServer, error, web};
use reqwest_middleware::ClientWithMiddleware;
use server_timing_runtime::actix::ServerTiming;
use tracing::instrument::WithSubscriber as _;
use tracing::{Dispatch, Instrument as _};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::Parent;
use super::front::{check_stock, client, render};
use super::propagation::ActixHeaders;

struct Front {
    inventory: ClientWithMiddleware,
    url: String,
}

/// The request's span: its parent the caller's trace (the request's `traceparent`, read by the
/// global propagator) for [`Parent::Extracted`], none for [`Parent::Root`]. Set before the span
/// is first entered, as `tracing-opentelemetry` requires.
///
/// ```
/// use actix_web::test::TestRequest;
/// use opentelemetry::trace::TraceContextExt;
/// use opentelemetry_sdk::trace::InMemorySpanExporter;
/// use server_timing_examples::services::{actix_front, propagation, telemetry, Parent};
/// use tracing_opentelemetry::OpenTelemetrySpanExt;
///
/// propagation::install();
/// let provider = telemetry::provider("front", InMemorySpanExporter::default());
/// let request = TestRequest::get()
///     .insert_header(("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
///     .to_srv_request();
/// tracing::subscriber::with_default(telemetry::subscriber(&provider, "front"), || {
///     let span = actix_front::request_span(&request, Parent::Extracted);
///     let trace = span.context().span().span_context().trace_id();
///     assert_eq!(trace.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// });
/// ```
pub fn request_span(request: &ServiceRequest, parent: Parent) -> tracing::Span {
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        uri = %request.uri(),
    );
    if parent == Parent::Extracted {
        let context = opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.extract(&ActixHeaders(request.headers()))
        });
        let _ = span.set_parent(context);
    }
    span
}

/// The front's actix-web server on `listener`, calling the inventory at `inventory`
/// (`http://host:port`): `GET /product/{item}` answers what [`front::router`](super::front::router)'s does.
///
/// Its spans and events go to `subscriber`: a service sets its subscriber once, globally, and
/// needs none of that; this example runs two services in one process, each with its own.
///
/// ```no_run
/// use opentelemetry_sdk::trace::InMemorySpanExporter;
/// use server_timing_examples::services::{actix_front, running, telemetry, Parent};
///
/// let provider = telemetry::provider("front", InMemorySpanExporter::default());
/// let subscriber = tracing::Dispatch::new(telemetry::subscriber(&provider, "front"));
/// let front = running::serve_actix(move |listener| {
///     actix_front::server(listener, "http://127.0.0.1:3001", Parent::Extracted, subscriber)
/// })
/// .unwrap();
/// println!("front on {}", front.addr());
/// ```
pub fn server(
    listener: TcpListener,
    inventory: &str,
    parent: Parent,
    subscriber: Dispatch,
) -> io::Result<Server> {
    let url = inventory.trim_end_matches('/').to_owned();
    let server = HttpServer::new(move || {
        let dispatch = subscriber.clone();
        App::new()
            .app_data(web::Data::new(Front {
                inventory: client(),
                url: url.clone(),
            }))
            .route("/product/{item}", web::get().to(product))
            // Inner (in actix-web the middleware registered last is the outermost): starts
            // each request's Server-Timing, naming the span current as the request starts.
            .wrap(ServerTiming::new().trace_context(true))
            // Outer: the request's span, its parent the caller's trace, entered while the
            // Server-Timing middleware starts the request and over every poll of the rest.
            .wrap_fn(move |request, service| {
                let span = request_span(&request, parent);
                let response = span.in_scope(|| service.call(request));
                response.instrument(span)
            })
            // Outermost, only because two services share this process: this service's
            // subscriber as the default while its requests run.
            .wrap_fn(move |request, service| {
                let response = tracing::dispatcher::with_default(&dispatch, || service.call(request));
                response.with_subscriber(dispatch.clone())
            })
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?;
    Ok(server.run())
}

async fn product(
    front: web::Data<Front>,
    item: web::Path<String>,
) -> actix_web::Result<web::Json<serde_json::Value>> {
    let stock = check_stock(&front.inventory, &front.url, &item)
        .await
        .map_err(error::ErrorBadGateway)?;
    Ok(web::Json(render(&item, &stock)))
}
