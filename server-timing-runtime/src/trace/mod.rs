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
#[cfg(feature = "sentry")]
mod sentry_span;
pub(crate) mod traceparent;
pub(crate) mod tracestate;

use http::HeaderName;

use crate::header::entry::Lead;
use crate::options::{TraceEntries, TraceEntry};
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

/// The names of the `Server-Timing` entries that carry trace context rather than a metric,
/// ours and those other tools write (Sentry's `sentry-trace` and `baggage`); names are
/// compared without case, as W3C Trace Context Level 2 reads its `trace`.
const TRACE_ENTRIES: [&str; 5] = ["traceparent", "tracestate", "trace", "sentry-trace", "baggage"];

/// Whether a `Server-Timing` entry of this name carries trace context, not a metric.
pub(crate) fn is_trace_entry(name: &str) -> bool {
    TRACE_ENTRIES.iter().any(|entry| entry.eq_ignore_ascii_case(name))
}

/// What a response's `Server-Timing` says of its trace: the `traceparent`, and the
/// `tracestate` that goes with it when there is a valid one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TraceContext {
    pub(crate) parent: TraceParent,
    pub(crate) state: Option<Box<str>>,
    /// The Sentry span's own `sentry-trace` and `baggage` (feature `sentry`), read once, when
    /// first needed, where the `sentry-trace` entry is chosen: sentry-tower puts its
    /// transaction on the request's scope only when its future is first polled, after the
    /// middleware inside it was called.
    sentry: std::sync::OnceLock<Option<Sentry>>,
    wants_sentry: bool,
}

/// What the Sentry SDK says of the span current for the request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "sentry"), allow(dead_code))]
pub(crate) struct Sentry {
    sentry_trace: Box<str>,
    baggage: Option<Box<str>>,
}

impl TraceContext {
    pub(crate) fn new(parent: TraceParent, state: Option<Box<str>>) -> Self {
        TraceContext {
            parent,
            state,
            sentry: std::sync::OnceLock::new(),
            wants_sentry: false,
        }
    }

    /// For its chosen `entries`: whether the Sentry span's own values are read for the
    /// `sentry-trace` entry (feature `sentry`).
    pub(crate) fn for_entries(self, entries: TraceEntries) -> Self {
        TraceContext {
            wants_sentry: cfg!(feature = "sentry") && entries.has(TraceEntry::SentryTrace),
            ..self
        }
    }

    /// The Sentry span's own values, where they are wanted: read the first time this is
    /// asked, so ask at the latest while the response head is made (see [`Self::sentry`]'s
    /// field).
    pub(crate) fn sentry(&self) -> Option<&Sentry> {
        if !self.wants_sentry {
            return None;
        }
        self.sentry.get_or_init(read_sentry).as_ref()
    }

    /// What its entries say, ready to be written.
    pub(crate) fn texts(&self) -> EntryTexts<'_> {
        EntryTexts {
            traceparent: self.parent.sampled_only(),
            trace: &self.parent,
            sentry: self.sentry(),
            state: self.state.as_deref(),
        }
    }
}

/// The length of a `sentry-trace` value: `<32 hex>-<16 hex>-<0|1>`.
pub(crate) const SENTRY_TRACE_LEN: usize = 51;

/// The descriptions of a trace context's entries.
pub(crate) struct EntryTexts<'a> {
    /// The `sampled` flag alone, as RUM agents match it.
    traceparent: TraceParent,
    /// All the trace's flags, as Level 2's `trace` metric carries them.
    trace: &'a TraceParent,
    sentry: Option<&'a Sentry>,
    state: Option<&'a str>,
}

impl EntryTexts<'_> {
    /// The entries `entries` chooses, in their written order: `traceparent` and `tracestate`,
    /// `trace`, `sentry-trace` and the Sentry SDK's `baggage` (never the request's own).
    /// `sentry_trace` is where a `sentry-trace` value made from the trace's ids goes.
    pub(crate) fn leads<'s>(
        &'s self,
        entries: TraceEntries,
        sentry_trace: &'s mut [u8; SENTRY_TRACE_LEN],
    ) -> Leads<'s> {
        let mut leads = Leads {
            entries: [EMPTY_LEAD; 5],
            len: 0,
        };
        let mut push = |name, description, quoted| {
            leads.entries[leads.len] = Lead {
                name,
                description,
                quoted,
            };
            leads.len += 1;
        };
        if entries.has(TraceEntry::Traceparent) {
            push(TRACEPARENT_NAME, self.traceparent.as_bytes(), true);
            if let Some(state) = self.state {
                push(TRACESTATE_NAME, state.as_bytes(), true);
            }
        }
        if entries.has(TraceEntry::Trace) {
            push("trace", self.trace.as_bytes(), false);
        }
        if entries.has(TraceEntry::SentryTrace) {
            match self.sentry {
                Some(sentry) => {
                    push("sentry-trace", sentry.sentry_trace.as_bytes(), true);
                    if let Some(baggage) = &sentry.baggage {
                        push("baggage", baggage.as_bytes(), true);
                    }
                }
                None => {
                    let (trace_id, span_id) = self.trace.id_texts();
                    sentry_trace[..32].copy_from_slice(trace_id);
                    sentry_trace[33..49].copy_from_slice(span_id);
                    sentry_trace[50] = if self.trace.sampled() { b'1' } else { b'0' };
                    push("sentry-trace", &sentry_trace[..], true);
                }
            }
        }
        leads
    }
}

const EMPTY_LEAD: Lead<'static> = Lead {
    name: "",
    description: b"",
    quoted: true,
};

/// The trace context's entries, in the order they are written.
pub(crate) struct Leads<'a> {
    entries: [Lead<'a>; 5],
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
        if let Some(incoming) = incoming(traceparent()) {
            opentelemetry_span::check_continues(&context.parent, &incoming);
        }
        return context;
    }
    match incoming(traceparent()) {
        // The specification: a `tracestate` is only read along with a valid `traceparent`.
        Some(parent) => TraceContext::new(parent.child(), trace_state(tracestate())),
        None => fresh(),
    }
}

/// The Sentry span current here, as its SDK gives it for propagation.
#[cfg(feature = "sentry")]
fn read_sentry() -> Option<Sentry> {
    let headers = sentry_span::trace_headers()?;
    Some(Sentry {
        sentry_trace: headers.sentry_trace?,
        baggage: headers.baggage,
    })
}

#[cfg(not(feature = "sentry"))]
fn read_sentry() -> Option<Sentry> {
    None
}

/// The trace context an outgoing call of `request` carries: that of the OpenTelemetry span
/// current where the call is made (feature `opentelemetry`), whose id the called service
/// reports as its parent; else `request`'s trace, flags and `tracestate`, with a parent id of
/// the call's own, as W3C Trace Context has it (the id of this request as known by the
/// caller).
#[cfg_attr(not(any(feature = "reqwest", feature = "tower")), allow(dead_code))]
pub(crate) fn for_call(request: &TraceContext) -> TraceContext {
    #[cfg(feature = "opentelemetry")]
    if let Some(context) = opentelemetry_span::trace_context() {
        return context;
    }
    TraceContext::new(request.parent.child(), request.state.clone())
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
    TraceContext::new(TraceParent::fresh(true), None)
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
