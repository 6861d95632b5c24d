//! Any input, read as a `&str`, as header fields, and merged as a downstream response: no
//! panic, only token names, no NaN, and a merged header that is valid and reads back whole.

#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use server_timing_runtime::{parse, parse_headers, record_downstream, Options, Timings, SERVER_TIMING};

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
    for field in data.split(|&b| b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(field) {
            headers.append(SERVER_TIMING, value);
        }
    }
    let parsed = parse_headers(&headers);

    let timings = Timings::with_options(Options::new().no_total().max_metrics(16));
    timings.sync_scope(|| record_downstream("down", &headers));
    let kept = timings.metrics().len();
    assert!(kept <= 16 && kept <= parsed.len());
    if let Some(value) = timings.finish() {
        let written = value.to_str().expect("a written value is visible ASCII");
        let reread = parse(written);
        let names: Vec<String> = reread.into_iter().map(|m| m.name).collect();
        assert!(names.len() >= kept.min(1), "{written:?}");
        assert!(
            names.iter().all(|n| n.starts_with("down.") || n == "omitted"),
            "{written:?}"
        );
    }
});
