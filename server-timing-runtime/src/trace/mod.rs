//! Trace context: which trace a request's `Server-Timing` names, read from the request by the
//! W3C rules, and the entries that carry it.
//!
//! Source, first that applies: the OpenTelemetry context current when the request starts
//! (feature `opentelemetry`), so the id is the server span the backend trace shows; the
//! request's own `traceparent` (the trace kept, a new span id for this server's work); a
//! fresh random trace.

pub(crate) mod cache;
pub(crate) mod ids;
#[cfg(feature = "opentelemetry")]
mod opentelemetry_span;
pub(crate) mod traceparent;
pub(crate) mod tracestate;

use http::HeaderName;

use crate::header::entry::Lead;
pub use traceparent::{ParseTraceParentError, TraceParent};
use tracestate::{trace_state, trim};

/// The W3C trace-context request headers, read on the way in and sent on outgoing calls,
/// spelled once for every `http` version's header names.
pub(crate) const TRACEPARENT_NAME: &str = "traceparent";
pub(crate) const TRACESTATE_NAME: &str = "tracestate";

/// The same as `http` header names. Statics, borrowed by every lookup: a `const` would build
/// a name and drop it again on each request.
pub(crate) static TRACEPARENT: HeaderName = HeaderName::from_static(TRACEPARENT_NAME);
pub(crate) static TRACESTATE: HeaderName = HeaderName::from_static(TRACESTATE_NAME);

/// What a response's `Server-Timing` says of its trace: the `traceparent`, and the
/// `tracestate` that goes with it when there is a valid one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TraceContext {
    pub(crate) parent: TraceParent,
    pub(crate) state: Option<Box<str>>,
}

impl TraceContext {
    /// The entries that open the header: `traceparent`, then `tracestate` if there is one.
    pub(crate) fn leads(&self) -> Leads<'_> {
        let mut leads = Leads {
            entries: [Lead {
                name: TRACEPARENT_NAME,
                description: self.parent.as_str(),
            }; 2],
            len: 1,
        };
        if let Some(state) = &self.state {
            leads.entries[1] = Lead {
                name: TRACESTATE_NAME,
                description: state,
            };
            leads.len = 2;
        }
        leads
    }
}

/// The trace context's entries, in the order they are written.
pub(crate) struct Leads<'a> {
    entries: [Lead<'a>; 2],
    len: usize,
}

impl<'a> Leads<'a> {
    pub(crate) fn as_slice(&self) -> &[Lead<'a>] {
        &self.entries[..self.len]
    }
}

/// The request's trace context, from its `traceparent` and `tracestate` header fields (as
/// bytes: every adapter's header types have them), each looked up only when it is needed:
/// neither when an OpenTelemetry context names the trace, the `tracestate` only along with a
/// valid `traceparent`.
pub(crate) fn from_request<'a, P, S>(
    traceparent: impl FnOnce() -> P,
    tracestate: impl FnOnce() -> S,
) -> TraceContext
where
    P: Iterator<Item = &'a [u8]>,
    S: Iterator<Item = &'a [u8]>,
{
    #[cfg(feature = "opentelemetry")]
    if let Some(context) = opentelemetry_span::trace_context() {
        return context;
    }
    match incoming(traceparent()) {
        // The specification: a `tracestate` is only read along with a valid `traceparent`.
        Some(parent) => TraceContext {
            parent: parent.child(),
            state: trace_state(tracestate()),
        },
        None => fresh(),
    }
}

/// The trace context of a request whose headers are not known.
pub(crate) fn without_request() -> TraceContext {
    #[cfg(feature = "opentelemetry")]
    if let Some(context) = opentelemetry_span::trace_context() {
        return context;
    }
    fresh()
}

/// The one valid `traceparent` field: several make the value invalid, as one that does not
/// parse does, and an invalid one is dropped, never echoed.
fn incoming<'a>(mut fields: impl Iterator<Item = &'a [u8]>) -> Option<TraceParent> {
    let first = fields.next()?;
    if fields.next().is_some() {
        return None;
    }
    TraceParent::parse(trim(first)).ok()
}

/// Nobody upstream started a trace. Sampled: this server records the request (its log line
/// can name the id), and browser SDKs that sample by their parent would otherwise drop the
/// page's own spans, the very data to be joined.
fn fresh() -> TraceContext {
    TraceContext {
        parent: TraceParent::fresh(true),
        state: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incoming_traceparent_is_continued() {
        let value = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = from_request(|| [&value[..]].into_iter(), || [&b"a=1"[..]].into_iter());
        assert_eq!(context.parent.trace_id()[..2], [0x4b, 0xf9]);
        assert_ne!(
            context.parent.parent_id(),
            [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
        );
        assert!(context.parent.sampled());
        assert_eq!(context.state.as_deref(), Some("a=1"));
    }

    #[test]
    fn an_invalid_or_repeated_traceparent_starts_a_new_trace_without_its_tracestate() {
        let value = &b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"[..];
        for fields in [vec![&b"00-zz"[..]], vec![value, value]] {
            let context = from_request(|| fields.into_iter(), || [&b"a=1"[..]].into_iter());
            assert_ne!(context.parent.trace_id()[..2], [0x4b, 0xf9]);
            assert_eq!(context.state, None);
        }
    }
}
