//! What the server did for each request: the metrics the handler recorded and the
//! `Server-Timing` fields the response carried, kept for comparison with what the browser saw.

use std::sync::{Arc, Mutex, PoisonError};

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use server_timing_runtime::{Metric, Timings};

/// One request and its response, as the server saw them.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// Path and query.
    pub target: String,
    /// The response's `Server-Timing` fields, each decoded as a browser decodes header bytes.
    pub sent: Vec<String>,
    /// What the handler had recorded when it returned (everything but `total`, which the
    /// middleware adds after), when the request had a collector.
    pub recorded: Option<Vec<Metric>>,
}

/// The exchanges of one server, in the order their responses were ready.
#[derive(Clone, Debug, Default)]
pub struct Exchanges(Arc<Mutex<Vec<Exchange>>>);

impl Exchanges {
    pub fn all(&self) -> Vec<Exchange> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn push(&self, exchange: Exchange) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(exchange);
    }
}

/// The metrics snapshot that [`snapshot_recorded`] leaves for [`log_exchange`].
#[derive(Clone)]
struct Recorded(Vec<Metric>);

/// Middleware inside `ServerTiming`: after the handler, takes a snapshot of what the request's
/// collector holds and attaches it to the response.
pub async fn snapshot_recorded<B>(req: ServiceRequest, next: Next<B>) -> Result<ServiceResponse<B>, Error> {
    let mut response = next.call(req).await?;
    if let Some(timings) = Timings::current() {
        response
            .response_mut()
            .extensions_mut()
            .insert(Recorded(timings.metrics()));
    }
    Ok(response)
}

/// Middleware outside `ServerTiming`: logs the exchange, with the fields the response leaves
/// with, into the app's [`Exchanges`] (its app data).
pub async fn log_exchange<B>(req: ServiceRequest, next: Next<B>) -> Result<ServiceResponse<B>, Error> {
    let exchanges = req.app_data::<web::Data<Exchanges>>().cloned();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned());
    let response = next.call(req).await?;
    if let Some(exchanges) = exchanges {
        let sent = response
            .headers()
            .get_all("server-timing")
            .map(|value| value.as_bytes().iter().map(|&b| char::from(b)).collect())
            .collect();
        let recorded = response
            .response()
            .extensions()
            .get::<Recorded>()
            .map(|r| r.0.clone());
        exchanges.push(Exchange {
            target,
            sent,
            recorded,
        });
    }
    Ok(response)
}
