//! A downstream service's `Server-Timing` metrics, re-recorded under a prefix into the
//! request that made the call.

use std::borrow::Cow;
use std::time::Duration;

use http::HeaderMap;

use crate::collector::current::{is_current, with_current};
use crate::collector::label::Label;
use crate::collector::metric::Outcome;
use crate::header::entry::Measure;
use crate::header::parse::scan_headers;
use crate::trace;

/// Re-record every metric of `headers`' `Server-Timing` fields into the current collector as
/// `{prefix}.{name}`, with its duration and description, so that a gateway's response shows
/// what the services behind it spent.
///
/// The fields are read as a browser reads them (see [`parse_headers`](crate::parse_headers)),
/// in order. Each metric is then an ordinary recording: its name and description are
/// [sanitized](crate::sanitize_name), repeated names are aggregated (or not) as the
/// collector's [`Options`](crate::Options) say, and [`Options::max_metrics`](crate::Options::max_metrics)
/// bounds what is kept, however many entries the downstream header holds. An entry keeps what
/// the downstream wrote: one without a `dur` stays without a duration (a description alone);
/// a negative duration is recorded as 0, one too large for a [`Duration`] as
/// [`Duration::MAX`]. An empty `prefix` keeps the names as they are. Outside a scope nothing
/// is read.
///
/// The downstream's trace context entries (`traceparent`, `tracestate`, `trace`,
/// `sentry-trace` and `baggage`, in any case) are not metrics and are not merged: its trace
/// is this request's, which names it itself.
///
/// Takes the [`http::HeaderMap`] that reqwest (`response.headers()`), hyper, axum and awc
/// responses expose.
///
/// ```
/// use http::{HeaderMap, HeaderValue};
/// use server_timing_runtime::{record_downstream, Options, Timings};
///
/// // The headers of a response from the auth service:
/// let mut auth = HeaderMap::new();
/// auth.append(
///     "server-timing",
///     HeaderValue::from_static(r#"traceparent;desc="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", db;dur=12.5;desc="Users DB", cache;desc=hit"#),
/// );
///
/// let timings = Timings::with_options(Options::new().no_total());
/// timings.sync_scope(|| record_downstream("auth", &auth));
/// assert_eq!(
///     timings.finish().unwrap(),
///     r#"auth.db;dur=12.5;desc="Users DB", auth.cache;desc=hit"#
/// );
/// assert_eq!(timings.metrics()[1].duration(), None);
/// ```
pub fn record_downstream(prefix: &str, headers: &HeaderMap) {
    if !is_current() {
        return;
    }
    scan_headers(headers, |metric| {
        if trace::is_trace_entry(&metric.name) {
            return;
        }
        let name = if prefix.is_empty() {
            metric.name
        } else {
            format!("{prefix}.{}", metric.name)
        };
        let description = (!metric.description.is_empty()).then_some(Cow::Owned(metric.description));
        let measure = metric
            .duration
            .map_or(Measure::None, |ms| Measure::Duration(milliseconds(ms)));
        with_current(|inner| {
            let label = Label::Text {
                name: Cow::Owned(name),
                description,
            };
            inner.add(label, measure, Outcome::Completed);
        });
    });
}

/// A parsed `dur` as a [`Duration`]: 0 when negative (or NaN), saturated when too large.
fn milliseconds(ms: f64) -> Duration {
    if ms.is_nan() || ms <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_clamp_to_what_a_duration_holds() {
        assert_eq!(milliseconds(12.5), Duration::from_micros(12_500));
        assert_eq!(milliseconds(0.000_001), Duration::from_nanos(1));
        assert_eq!(milliseconds(-3.0), Duration::ZERO);
        assert_eq!(milliseconds(f64::NAN), Duration::ZERO);
        assert_eq!(milliseconds(f64::INFINITY), Duration::MAX);
        assert_eq!(milliseconds(1e300), Duration::MAX);
    }
}
