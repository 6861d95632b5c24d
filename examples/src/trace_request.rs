//! The request the `trace_context` bench and the `call_cost` binary (which counts its
//! instructions) both time: a collector made for the request's headers, five metrics
//! recorded, the header appended to the response. Also the same request after the two
//! lookups any reading of an incoming trace context makes, the floor of that reading.

use std::hint::black_box;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};
use server_timing_runtime::{Options, Timings, describe, record};

/// The `traceparent` a traced request carries: the trace-context specification's example.
pub const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// A request's headers: `accept`, and the trace context fields asked for.
///
/// ```
/// let headers = server_timing_examples::trace_request::headers(true, false);
/// assert!(headers.contains_key("traceparent") && !headers.contains_key("tracestate"));
/// ```
pub fn headers(traceparent: bool, tracestate: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("accept", HeaderValue::from_static("text/html"));
    if traceparent {
        headers.insert("traceparent", HeaderValue::from_static(TRACEPARENT));
    }
    if tracestate {
        headers.insert("tracestate", HeaderValue::from_static("congo=t61rcWkgMzE"));
    }
    headers
}

/// One request's work on the collector, under `options`, for a request with `request`'s
/// headers: made, filled, written into `response`. Whether a `Server-Timing` field was
/// appended.
///
/// ```
/// use http::HeaderMap;
/// use server_timing_examples::trace_request::{headers, one_request};
/// use server_timing_runtime::Options;
///
/// let mut response = HeaderMap::new();
/// assert!(one_request(&Options::new().trace_context(true), &headers(true, true), &mut response));
/// assert!(response["server-timing"].to_str().unwrap().contains("traceparent;desc=\"00-4bf92f"));
/// ```
pub fn one_request(options: &Options, request: &HeaderMap, response: &mut HeaderMap) -> bool {
    let timings = Timings::for_request(options.clone(), request);
    timings.sync_scope(|| {
        record("db", Duration::from_micros(1_234));
        describe("db", "DB read");
        record("cache", Duration::from_micros(56));
        record("render", Duration::from_micros(789));
        record("auth", Duration::from_micros(12));
        record("upstream", Duration::from_micros(3_456));
    });
    timings.append_to(response)
}

/// One request's work under these options, for a request with these headers, written into
/// this response: [`one_request`] or [`one_request_after_lookups`].
pub type Work = fn(&Options, &HeaderMap, &mut HeaderMap) -> bool;

/// The request's trace context fields, by the names `http` hashes to look them up.
static TRACE_FIELDS: [HeaderName; 2] = [
    HeaderName::from_static("traceparent"),
    HeaderName::from_static("tracestate"),
];

/// The length of the request's `traceparent` and `tracestate` fields, looked up as reading an
/// incoming trace context looks them up, whatever is done with them after.
///
/// ```
/// use server_timing_examples::trace_request::{headers, trace_fields_len, TRACEPARENT};
/// assert_eq!(trace_fields_len(&headers(true, true)), TRACEPARENT.len() + "congo=t61rcWkgMzE".len());
/// assert_eq!(trace_fields_len(&headers(false, false)), 0);
/// ```
pub fn trace_fields_len(request: &HeaderMap) -> usize {
    TRACE_FIELDS
        .iter()
        .flat_map(|name| request.get_all(name))
        .map(HeaderValue::len)
        .sum()
}

/// [`one_request`] after [`trace_fields_len`]: with trace context off, what the two lookups
/// alone add to a request, the share of reading an incoming trace context that is `http`'s.
///
/// ```
/// use http::HeaderMap;
/// use server_timing_examples::trace_request::{headers, one_request_after_lookups};
/// use server_timing_runtime::Options;
///
/// let mut response = HeaderMap::new();
/// assert!(one_request_after_lookups(&Options::new(), &headers(true, true), &mut response));
/// assert!(!response["server-timing"].to_str().unwrap().contains("traceparent"));
/// ```
pub fn one_request_after_lookups(options: &Options, request: &HeaderMap, response: &mut HeaderMap) -> bool {
    black_box(trace_fields_len(black_box(request)));
    one_request(options, request, response)
}

/// `n` requests of `work`, each with a response of its own, as the measurements run them:
/// the inputs and the result through `black_box`, so that none of the work is optimized
/// away.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use http::HeaderMap;
/// use server_timing_examples::trace_request::{headers, one_request, requests};
/// use server_timing_runtime::Options;
///
/// static CALLS: AtomicU64 = AtomicU64::new(0);
/// fn counted(options: &Options, request: &HeaderMap, response: &mut HeaderMap) -> bool {
///     assert!(response.is_empty(), "each request has a response of its own");
///     CALLS.fetch_add(1, Ordering::Relaxed);
///     one_request(options, request, response)
/// }
/// requests(counted, &Options::new(), &headers(false, false), 3);
/// assert_eq!(CALLS.load(Ordering::Relaxed), 3);
/// ```
pub fn requests(work: Work, options: &Options, request: &HeaderMap, n: u64) {
    for _ in 0..n {
        let mut response = HeaderMap::new();
        black_box(work(black_box(options), black_box(request), &mut response));
    }
}
