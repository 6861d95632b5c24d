//! Any input, read as a `&str` and as header fields: no panic, only token names, no NaN, and
//! the fields read as one joined value (as browsers join them).

#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use server_timing_runtime::{parse, parse_headers, SERVER_TIMING};

/// Chromium's token characters, which are all a parsed name may hold.
fn is_browser_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| (0x21..0x80).contains(&b) && !b";\"()<>@,:\\/[]?=".contains(&b))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for metric in parse(text) {
            assert!(is_browser_token(&metric.name), "{metric:?}");
            assert!(!metric.duration.is_nan(), "{metric:?}");
        }
    }

    let mut headers = HeaderMap::new();
    let mut fields = Vec::new();
    for field in data.split(|&b| b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(field) {
            // The ISO-8859-1 reading browsers give header bytes.
            fields.push(
                value
                    .as_bytes()
                    .iter()
                    .map(|&b| char::from(b))
                    .collect::<String>(),
            );
            headers.append(SERVER_TIMING, value);
        }
    }
    let parsed = parse_headers(&headers);
    for metric in &parsed {
        assert!(is_browser_token(&metric.name), "{metric:?}");
        assert!(!metric.duration.is_nan(), "{metric:?}");
    }
    assert_eq!(parsed, parse(&fields.join(", ")), "{fields:?}");
});
