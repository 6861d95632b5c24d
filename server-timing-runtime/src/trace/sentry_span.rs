//! The Sentry span current for a request (feature `sentry`): sentry-tower's or sentry-actix's
//! transaction, whose trace and span the `sentry-trace` entry names, so that the browser's
//! pageload continues the transaction the backend sent.

use crate::header::sanitize;

/// What the Sentry SDK says to propagate for the span current here, if there is one: its
/// `sentry-trace` value, and its `baggage` where it gives one.
pub(crate) fn trace_headers() -> Option<SentryHeaders> {
    let span = sentry_core::Hub::current().configure_scope(|scope| scope.get_span())?;
    let mut headers = SentryHeaders::default();
    for (name, value) in span.iter_headers() {
        match name {
            "sentry-trace" if is_sentry_trace(&value) => headers.sentry_trace = Some(value.into()),
            "baggage" => headers.baggage = Some(sanitize::description_of(&value).into()),
            _ => {}
        }
    }
    headers.sentry_trace.is_some().then_some(headers)
}

/// The Sentry SDK's propagation headers for one span.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SentryHeaders {
    pub(crate) sentry_trace: Option<Box<str>>,
    pub(crate) baggage: Option<Box<str>>,
}

/// Whether `value` is a `sentry-trace` value: `<32 hex>-<16 hex>`, then `-0` or `-1` or
/// nothing (sampling deferred).
fn is_sentry_trace(value: &str) -> bool {
    let hex = |text: &str, len: usize| text.len() == len && text.bytes().all(|c| c.is_ascii_hexdigit());
    let mut parts = value.split('-');
    let ids =
        matches!((parts.next(), parts.next()), (Some(trace), Some(span)) if hex(trace, 32) && hex(span, 16));
    ids && matches!(parts.next(), None | Some("0" | "1")) && parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentry_trace_values_are_checked() {
        let ids = "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7";
        for valid in [ids.to_owned(), format!("{ids}-1"), format!("{ids}-0")] {
            assert!(is_sentry_trace(&valid), "{valid}");
        }
        for invalid in [
            format!("{ids}-2"),
            format!("{ids}-1-x"),
            "4bf9-00f0-1".to_owned(),
            format!("{ids}\""),
        ] {
            assert!(!is_sentry_trace(&invalid), "{invalid}");
        }
    }

    #[test]
    fn without_a_span_there_is_nothing() {
        assert_eq!(trace_headers(), None);
    }
}
