//! The header fields of a response, as a collector writes into them, whichever `http`
//! version the framework builds its responses with.

use http::header::CACHE_CONTROL;
use http::{HeaderMap, HeaderValue};

use crate::header::names::{SERVER_TIMING, TIMING_ALLOW_ORIGIN};

/// A response's header fields.
pub(crate) trait ResponseHead {
    /// The values of its `Cache-Control` fields.
    fn cache_control(&self) -> impl Iterator<Item = &[u8]>;
    /// Whether it has a `Timing-Allow-Origin` field.
    fn has_timing_allow_origin(&self) -> bool;
    /// Append a `Server-Timing` field; `false` when `value` is not a valid header value. The
    /// value is copied into one of its exact size: the buffer it was written into has room for
    /// a long one, and a response keeps its header while its body streams.
    fn append_server_timing(&mut self, value: &[u8]) -> bool;
    /// Append a `Timing-Allow-Origin` field.
    fn append_timing_allow_origin(&mut self, origin: &HeaderValue);
}

impl ResponseHead for HeaderMap {
    fn cache_control(&self) -> impl Iterator<Item = &[u8]> {
        self.get_all(CACHE_CONTROL).iter().map(HeaderValue::as_bytes)
    }

    fn has_timing_allow_origin(&self) -> bool {
        self.contains_key(TIMING_ALLOW_ORIGIN)
    }

    fn append_server_timing(&mut self, value: &[u8]) -> bool {
        match HeaderValue::from_bytes(value) {
            Ok(value) => {
                self.append(SERVER_TIMING, value);
                true
            }
            Err(_) => false,
        }
    }

    fn append_timing_allow_origin(&mut self, origin: &HeaderValue) {
        self.append(TIMING_ALLOW_ORIGIN, origin.clone());
    }
}
