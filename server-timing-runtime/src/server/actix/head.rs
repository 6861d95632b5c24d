//! actix-web's response head as the collector writes into it: `http` 0.2's header map, which
//! actix-web 4 is built on.

use actix_web::http::header::{CACHE_CONTROL, HeaderMap, HeaderName, HeaderValue};

use crate::collector::response::ResponseHead;

const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");
const TIMING_ALLOW_ORIGIN: HeaderName = HeaderName::from_static("timing-allow-origin");

impl ResponseHead for HeaderMap {
    fn cache_control(&self) -> impl Iterator<Item = &[u8]> {
        self.get_all(CACHE_CONTROL).map(HeaderValue::as_bytes)
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

    fn append_timing_allow_origin(&mut self, origin: &http::HeaderValue) {
        if let Ok(origin) = HeaderValue::from_bytes(origin.as_bytes()) {
            self.append(TIMING_ALLOW_ORIGIN, origin);
        }
    }
}
