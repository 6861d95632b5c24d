//! Outgoing calls with [reqwest]: time each call and merge the called service's own
//! `Server-Timing` metrics, with one line at client construction instead of code around every
//! call.
//!
//! [`Downstream`] is a [`reqwest_middleware::Middleware`]. Inside a request's scope (any
//! adapter's, or [`Timings::scope`](crate::Timings::scope)), a call through the client is
//! recorded under the middleware's name, from when it is sent until the response head arrives
//! (the body is the caller's to read, and its time the caller's to measure), and the
//! response's `Server-Timing` metrics are merged in as `{name}.{metric}` (see
//! [`record_downstream`](crate::record_downstream)). Outside a scope the middleware only
//! passes the call on. With [`Options::trace_context`](crate::Options::trace_context) on, the
//! call carries the request's trace in a `traceparent` of its own (the id of the
//! OpenTelemetry span current where the call is made, else a new span id), and its
//! `tracestate`, so that the called service's spans join the same trace; a call that sets its
//! own keeps it. For tower clients (hyper-util's), the `tower` feature has the same as a layer,
//! `tower::DownstreamLayer`.
//!
//! ```no_run
//! use reqwest_middleware::ClientBuilder;
//! use server_timing_runtime::reqwest::Downstream;
//!
//! let inventory = ClientBuilder::new(reqwest::Client::new())
//!     .with(Downstream::new("inventory").description("Inventory service"))
//!     .build();
//! # async {
//! // In a handler: recorded as `inventory`, `inventory.total`, `inventory.db`, ...
//! let response = inventory.get("http://inventory.internal/stock").send().await?;
//! # Ok::<_, reqwest_middleware::Error>(response)
//! # };
//! ```
//!
//! [reqwest]: https://docs.rs/reqwest

use std::borrow::Cow;
use std::sync::Arc;

use http::Extensions;
use reqwest_middleware::{Middleware, Next};

use crate::client::call::{Call, Names, forward_trace};

/// A [`reqwest_middleware::Middleware`] that records each call as one metric and merges the
/// response's `Server-Timing` metrics under the same name.
///
/// - A response (any status) records `{name}` with the time to its head, then each of its
///   `Server-Timing` metrics as `{name}.{metric}`: read as a browser reads them, sanitized,
///   and bounded by the collector's [`Options::max_metrics`](crate::Options::max_metrics),
///   whatever the called service sends.
/// - An error (connection refused, timeout, ...) records `{name}` with the time until it,
///   described as what failed (`connect error`, `timeout`, `error`), and is returned
///   unchanged.
/// - A call dropped before its response (the caller gave up) records the time so far,
///   marked cancelled, as a dropped `#[server_timing]` future is.
///
/// ```
/// # mod network { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/network.rs")); } use network::answering;
/// use reqwest_middleware::ClientBuilder;
/// use server_timing_runtime::reqwest::Downstream;
/// use server_timing_runtime::{Options, Timings};
///
/// // `answering` stands in for the network: a service that answers with `db;dur=2.5`.
/// let client = ClientBuilder::new(reqwest::Client::new()).with(Downstream::new("inventory")).with(answering).build();
/// let timings = Timings::with_options(Options::new().no_total());
/// let call = client.get("http://inventory.internal/").send();
/// let response = futures::executor::block_on(timings.scope(call)).unwrap();
/// assert_eq!(response.status(), 200);
///
/// let names: Vec<String> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
/// assert_eq!(names, ["inventory", "inventory.db"]);
/// assert_eq!(timings.metrics()[1].duration(), Some(std::time::Duration::from_micros(2_500)));
/// ```
#[derive(Clone, Debug)]
pub struct Downstream {
    names: Arc<Names>,
}

impl Downstream {
    /// Record calls as `name`, and merge their responses' metrics as `name.*`. A name that is
    /// not an HTTP token is [sanitized](crate::sanitize_name).
    ///
    /// ```
    /// # mod network { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/network.rs")); } use network::answering;
    /// use reqwest_middleware::ClientBuilder;
    /// use server_timing_runtime::reqwest::Downstream;
    /// use server_timing_runtime::{Options, Timings};
    ///
    /// let payments = Downstream::new("payments");
    /// // `answering` stands in for the network: a service that answers with `db;dur=2.5`.
    /// let client = ClientBuilder::new(reqwest::Client::new()).with(payments).with(answering).build();
    /// let timings = Timings::with_options(Options::new().no_total());
    /// futures::executor::block_on(timings.scope(client.get("http://payments.internal/").send())).unwrap();
    /// let names: Vec<String> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    /// assert_eq!(names, ["payments", "payments.db"]);
    /// ```
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Downstream {
            names: Arc::new(Names {
                name: name.into(),
                description: None,
            }),
        }
    }

    /// Describe the call's metric, e.g. `"Inventory service"`; an error is described as
    /// `"Inventory service (timeout)"`.
    ///
    /// ```
    /// # mod network { include!(concat!(env!("CARGO_MANIFEST_DIR"), "/doc/network.rs")); } use network::down;
    /// use reqwest_middleware::ClientBuilder;
    /// use server_timing_runtime::reqwest::Downstream;
    /// use server_timing_runtime::{Options, Timings};
    ///
    /// let inventory = Downstream::new("inventory").description("Inventory service");
    /// // `down` stands in for the network: a service that cannot be reached.
    /// let client = ClientBuilder::new(reqwest::Client::new()).with(inventory).with(down).build();
    /// let timings = Timings::with_options(Options::new().no_total());
    /// let call = client.get("http://inventory.internal/").send();
    /// assert!(futures::executor::block_on(timings.scope(call)).is_err());
    /// let metric = &timings.metrics()[0];
    /// assert_eq!((metric.name(), metric.description()), ("inventory", Some("Inventory service (error)")));
    /// ```
    #[must_use]
    pub fn description(self, description: impl Into<Cow<'static, str>>) -> Self {
        Downstream {
            names: Arc::new(Names {
                name: self.names.name.clone(),
                description: Some(description.into()),
            }),
        }
    }
}

#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
impl Middleware for Downstream {
    async fn handle(
        &self,
        mut req: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        forward_trace(req.headers_mut());
        let mut call = Call::start(&self.names);
        let result = next.run(req, extensions).await;
        match &result {
            Ok(response) => call.responded(response.headers()),
            Err(error) => call.failed(failure(error)),
        }
        result
    }
}

/// What went wrong, in the words the metric's description uses.
fn failure(error: &reqwest_middleware::Error) -> &'static str {
    match error {
        reqwest_middleware::Error::Reqwest(e) if e.is_timeout() => "timeout",
        reqwest_middleware::Error::Reqwest(e) if e.is_connect() => "connect error",
        _ => "error",
    }
}
