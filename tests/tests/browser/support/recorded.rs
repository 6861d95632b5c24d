//! What every browser test checks of an exchange: the browser read exactly what the server
//! recorded.

use server_timing_runtime::{DEFAULT_PRECISION, DEFAULT_TOTAL_NAME, TraceParent, parse};

use super::exchanges::Exchange;
use super::probe::Observed;

/// How far a `dur` the browser reads may be from the recorded duration: half the last digit
/// the demo's middleware (default precision) writes.
fn half_unit() -> f64 {
    0.5 / 10f64.powi(i32::from(DEFAULT_PRECISION))
}

/// The browser read exactly what the server recorded for this exchange: `total` first, then
/// every recorded metric in order with its name, its description and its duration at the
/// configured precision; and `parse` reads the sent fields as the browser did.
pub fn assert_as_recorded(engine: &str, seen: &Observed, exchange: &Exchange) {
    let sent = exchange.sent.join(", ");
    let browser = &seen.server_timing;
    assert_eq!(
        browser,
        &parse(&sent),
        "{}: {engine} (left) and `parse` (right) read {sent:?} differently",
        seen.url
    );
    let recorded = exchange
        .recorded
        .as_ref()
        .unwrap_or_else(|| panic!("{}: the request had no collector", seen.url));
    // The demo has trace context on: its `traceparent` entry opens the field, a valid W3C
    // value (which metric it names is the RUM test's business, `rum`), then `total`.
    let entries = match browser.split_first() {
        Some((trace, rest)) if trace.name == "traceparent" => {
            assert!(
                trace.description.parse::<TraceParent>().is_ok(),
                "{}: {trace:?}",
                seen.url
            );
            rest
        }
        _ => &browser[..],
    };
    let (total, rest) = entries
        .split_first()
        .unwrap_or_else(|| panic!("{}: no serverTiming entries; sent {sent:?}", seen.url));
    assert_eq!(total.name, DEFAULT_TOTAL_NAME, "{}: {browser:#?}", seen.url);
    assert_eq!(
        rest.len(),
        recorded.len(),
        "{}: the browser has {rest:#?}, the server recorded {recorded:#?}",
        seen.url
    );
    for (browser, metric) in rest.iter().zip(recorded) {
        let context = format!("{}: {engine} {browser:?}, recorded {metric:?}", seen.url);
        assert_eq!(browser.name, metric.name(), "{context}");
        let millis = metric
            .duration()
            .map(|d| d.as_secs_f64() * 1e3)
            .or(metric.value())
            .unwrap_or(0.0);
        assert!(
            (browser.duration - millis).abs() <= half_unit() + 1e-9,
            "{context}: duration not at {DEFAULT_PRECISION} decimals"
        );
        let description = metric.description().unwrap_or_default();
        if metric.count() <= 1 {
            assert_eq!(browser.description, description, "{context}");
        } else {
            // Aggregated calls are counted in the description, e.g. "DB read (3 calls)".
            assert!(browser.description.starts_with(description), "{context}");
            assert!(
                browser.description.contains(&format!("{} calls", metric.count())),
                "{context}"
            );
        }
    }
}
