//! Arbitrary downstream `Server-Timing` fields merged under an arbitrary prefix and options:
//! no panic; recorded one for one, in order, as `parse_headers` reads them (prefixed and
//! sanitized names and descriptions, clamped durations, none where none was written), but
//! the trace context entries, which are not merged; at most `max_metrics` of them; and
//! the merged header is valid and reads back as those names (or the first of them, when the
//! header budget cuts it short), then possibly `omitted`.

#![no_main]

use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use server_timing_runtime::{
    parse, parse_headers, record_downstream, sanitize_description, sanitize_name, Options, Repeated, Timings,
    OMITTED_NAME, SERVER_TIMING,
};

#[derive(Arbitrary, Debug)]
struct Input {
    prefix: String,
    each: bool,
    max_metrics: u8,
    fields: Vec<Vec<u8>>,
}

/// What `record_downstream` documents for a parsed `dur`: 0 when negative or NaN, saturated
/// when too large.
fn clamped(ms: f64) -> Duration {
    if ms.is_nan() || ms <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX)
}

fuzz_target!(|input: Input| {
    let mut headers = HeaderMap::new();
    for field in &input.fields {
        if let Ok(value) = HeaderValue::from_bytes(field) {
            headers.append(SERVER_TIMING, value);
        }
    }
    // A downstream's trace context entries are not metrics: never merged.
    let trace_entry = |name: &str| {
        ["traceparent", "tracestate", "trace", "sentry-trace", "baggage"]
            .iter()
            .any(|entry| entry.eq_ignore_ascii_case(name))
    };
    let parsed: Vec<_> = parse_headers(&headers)
        .into_iter()
        .filter(|metric| !trace_entry(&metric.name))
        .collect();
    let repeated = if input.each {
        Repeated::Each
    } else {
        Repeated::Aggregate
    };
    let max_metrics = usize::from(input.max_metrics);
    let options = Options::new()
        .no_total()
        .repeated(repeated)
        .max_metrics(max_metrics);
    let timings = Timings::with_options(options);
    timings.sync_scope(|| record_downstream(&input.prefix, &headers));

    let metrics = timings.metrics();
    assert!(metrics.len() <= max_metrics.max(1) && metrics.len() <= parsed.len());
    if input.each {
        for (metric, source) in metrics.iter().zip(&parsed) {
            let name = if input.prefix.is_empty() {
                source.name.clone()
            } else {
                format!("{}.{}", input.prefix, source.name)
            };
            assert_eq!(metric.name(), sanitize_name(&name), "{source:?}");
            // An entry without a `dur` stays without one; a browser reads it as 0, as it reads
            // a `dur` it cannot parse.
            let duration = clamped(source.duration);
            if duration.is_zero() {
                assert!(matches!(metric.duration(), None | Some(Duration::ZERO)), "{source:?}");
            } else {
                assert_eq!(metric.duration(), Some(duration), "{source:?}");
            }
            let description = sanitize_description(&source.description);
            assert_eq!(metric.description().unwrap_or(""), description, "{source:?}");
        }
    }

    let Some(value) = timings.finish() else {
        assert!(parsed.is_empty());
        return;
    };
    let written = value.to_str().expect("a written value is visible ASCII");
    let names: Vec<String> = parse(written).into_iter().map(|m| m.name).collect();
    // The header budget leaves out whole entries that do not fit (a later, shorter one may
    // still fit): what is written is the kept metrics in order with some left out, and
    // `omitted` then closes the header.
    let kept: Vec<&str> = metrics.iter().map(|m| m.name()).collect();
    assert!(!names.is_empty(), "{written:?}");
    let mut next = 0;
    for (at, name) in names.iter().enumerate() {
        let last = at + 1 == names.len();
        if last && name == OMITTED_NAME {
            break;
        }
        match kept[next..].iter().position(|k| *k == name.as_str()) {
            Some(skipped) => next += skipped + 1,
            None => panic!("entry {at} of {written:?} is not among the kept, in order: {kept:?}"),
        }
    }
});
