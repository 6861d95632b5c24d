// Stand-ins for the network in the doc examples of `server_timing_runtime::reqwest` (included
// into each): reqwest-middleware middlewares that answer in place of a downstream service.

use std::future::Future;
use std::pin::Pin;

/// What a reqwest-middleware middleware returns.
type Answer<'a> =
    Pin<Box<dyn Future<Output = reqwest_middleware::Result<reqwest::Response>> + Send + 'a>>;

/// A downstream service that answers with its own breakdown: `db;dur=2.5`.
pub fn answering<'a>(
    _: reqwest::Request,
    _: &'a mut http::Extensions,
    _: reqwest_middleware::Next<'a>,
) -> Answer<'a> {
    let response = http::Response::builder()
        .header("server-timing", "db;dur=2.5")
        .body("");
    Box::pin(std::future::ready(Ok(reqwest::Response::from(
        response.unwrap(),
    ))))
}

/// A downstream service that is down.
pub fn down<'a>(
    _: reqwest::Request,
    _: &'a mut http::Extensions,
    _: reqwest_middleware::Next<'a>,
) -> Answer<'a> {
    let refused = std::io::Error::other("down");
    Box::pin(std::future::ready(Err(reqwest_middleware::Error::middleware(refused))))
}
