//! Arbitrary recordings under arbitrary options: the written value is always a valid header,
//! and a browser-exact parse reads back `total`, then the kept metrics in order (names,
//! descriptions and durations at the configured precision), then possibly `omitted`.

#![no_main]

use std::time::Duration;

use http::HeaderValue;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use server_timing_runtime::{
    describe, parse, record, record_value, Metric, Options, ParsedMetric, Repeated, Timings, OMITTED_NAME,
};

#[derive(Arbitrary, Debug)]
enum Recording {
    Duration { name: String, nanos: u64 },
    Description { name: String, description: String },
    Value { name: String, value: f64 },
}

#[derive(Arbitrary, Debug)]
struct Input {
    precision: u8,
    each: bool,
    descriptions: bool,
    header_budget: u16,
    max_metrics: u8,
    recordings: Vec<Recording>,
}

/// Whether `parsed` is what `metric` was written as, to `decimals` decimals.
fn written_as(parsed: &ParsedMetric, metric: &Metric, decimals: i32, descriptions: bool) -> bool {
    if parsed.name != metric.name() {
        return false;
    }
    let unit = 10f64.powi(-decimals);
    let expected = match (metric.duration(), metric.value()) {
        (Some(duration), _) => duration.as_secs_f64() * 1000.0,
        (None, Some(value)) if value.is_finite() => value,
        _ => 0.0,
    };
    // Half a unit of rounding, plus what doubles lose on the way (relative 2^-50).
    if (parsed.duration - expected).abs() > unit / 2.0 + expected.abs() * 2f64.powi(-50) {
        return false;
    }
    let description = metric.description().unwrap_or("");
    if !descriptions {
        return parsed.description.is_empty();
    }
    if metric.count() > 1 && metric.duration().is_some() {
        return parsed.description.starts_with(description) && parsed.description.contains(" calls");
    }
    parsed.description == description
}

fuzz_target!(|input: Input| {
    let repeated = if input.each {
        Repeated::Each
    } else {
        Repeated::Aggregate
    };
    let options = Options::new()
        .precision(input.precision)
        .repeated(repeated)
        .descriptions(input.descriptions)
        .header_budget(usize::from(input.header_budget))
        .max_metrics(usize::from(input.max_metrics));
    let timings = Timings::with_options(options);
    timings.sync_scope(|| {
        for recording in &input.recordings {
            match recording {
                Recording::Duration { name, nanos } => record(name.clone(), Duration::from_nanos(*nanos)),
                Recording::Description { name, description } => describe(name.clone(), description.clone()),
                Recording::Value { name, value } => record_value(name.clone(), *value),
            }
        }
    });
    let metrics = timings.metrics();
    let value = timings.finish().expect("`total` is always written");
    assert!(HeaderValue::from_bytes(value.as_bytes()).is_ok());
    let text = value.to_str().expect("a written value is visible ASCII");

    let parsed = parse(text);
    assert_eq!(parsed.first().map(|m| m.name.as_str()), Some("total"), "{text:?}");
    let decimals = i32::from(input.precision.min(6));
    let mut rest = metrics.iter();
    for (at, entry) in parsed.iter().enumerate().skip(1) {
        if rest.any(|metric| written_as(entry, metric, decimals, input.descriptions)) {
            continue;
        }
        let last = at + 1 == parsed.len();
        assert!(
            last && entry.name == OMITTED_NAME && entry.description.ends_with(" metrics"),
            "entry {at} of {text:?} ({entry:?}) is no recorded metric: {metrics:?}"
        );
    }
});
