//! Which trace a request's `Server-Timing` names, and whether a response may carry it.
//!
//! Source, first that applies: the OpenTelemetry context current when the request starts
//! (feature `opentelemetry`; see `from_opentelemetry`), so the id is the server span the
//! backend trace shows; the request's own `traceparent` (the trace kept, a new span id for
//! this server's work); a fresh random trace.

use crate::header::traceparent::{trace_state, trim, TraceContext, TraceParent};

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
    if let Some(context) = from_opentelemetry() {
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
    from_opentelemetry().unwrap_or_else(fresh)
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

/// The OpenTelemetry context current as the request starts, when it holds a valid span:
/// `opentelemetry::Context::current()`, which `tracing-opentelemetry` makes the entered
/// `tracing` span's context (its default, context activation), else the context of the
/// current `tracing` span, for a layer with activation off.
///
/// In this order because the first is a read of a thread-local, and the second looks the span
/// up in the subscriber, locks its data and clones its context: on every traced request of a
/// service that traces with OpenTelemetry, that was most of what trace context cost.
#[cfg(feature = "opentelemetry")]
fn from_opentelemetry() -> Option<TraceContext> {
    use opentelemetry::trace::TraceContextExt;

    let of = |context: &opentelemetry::Context| {
        let span = context.span();
        let span = span.span_context();
        if !span.is_valid() {
            return None;
        }
        let parent = TraceParent::new(
            span.trace_id().to_bytes(),
            span.span_id().to_bytes(),
            span.trace_flags().to_u8(),
        )?;
        // Most spans carry no `tracestate`: not printed just to be found empty.
        let state = span.trace_state();
        let state = if *state == opentelemetry::trace::TraceState::NONE {
            None
        } else {
            trace_state(std::iter::once(state.header().as_bytes()))
        };
        Some(TraceContext { parent, state })
    };
    // Borrowed, not cloned: this runs on every traced request.
    opentelemetry::Context::map_current(of).or_else(|| {
        tracing::dispatcher::get_default(|dispatch| {
            // The current span's id, without the reference a `tracing::Span` would take on it.
            let current = dispatch.current_span();
            of(&tracing_opentelemetry::get_otel_context(current.id()?, dispatch)?)
        })
    })
}

#[cfg(not(feature = "opentelemetry"))]
#[inline(always)]
fn from_opentelemetry() -> Option<TraceContext> {
    None
}

/// Whether a shared cache (a CDN, a proxy) may store a response with these `Cache-Control`
/// fields: `public`, `s-maxage` or `max-age`, and neither `private` nor `no-store`. Every later
/// visitor served from that cache would get this request's trace id.
///
/// `private="field"` (only those fields private) leaves the response storable.
pub(crate) fn shared_cache_may_store<'a>(cache_control: impl Iterator<Item = &'a [u8]>) -> bool {
    let mut storable = false;
    for field in cache_control {
        for (name, has_value) in directives(field) {
            let is = |directive: &str| name.eq_ignore_ascii_case(directive.as_bytes());
            if is("no-store") || (is("private") && !has_value) {
                return false;
            }
            storable |= is("public") || is("s-maxage") || is("max-age");
        }
    }
    storable
}

/// The directive names of one `Cache-Control` field and whether each has a value; commas
/// inside a quoted value do not split it.
fn directives(field: &[u8]) -> impl Iterator<Item = (&[u8], bool)> {
    let mut rest = field;
    std::iter::from_fn(move || loop {
        if rest.is_empty() {
            return None;
        }
        let mut at = 0;
        let mut quoted = false;
        let mut escaped = false;
        while at < rest.len() {
            let c = rest[at];
            if escaped {
                escaped = false;
            } else if quoted && c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                quoted = !quoted;
            } else if c == b',' && !quoted {
                break;
            }
            at += 1;
        }
        let directive = trim(&rest[..at]);
        rest = rest.get(at + 1..).unwrap_or_default();
        if directive.is_empty() {
            continue;
        }
        let name_end = directive
            .iter()
            .position(|&c| c == b'=')
            .unwrap_or(directive.len());
        return Some((trim(&directive[..name_end]), name_end < directive.len()));
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cacheable(fields: &[&str]) -> bool {
        shared_cache_may_store(fields.iter().map(|f| f.as_bytes()))
    }

    #[test]
    fn the_shared_cache_rule() {
        for stored in [
            &["public"][..],
            &["max-age=60"],
            &["s-maxage=60"],
            &["Public, max-age=0"],
            &["no-cache", "max-age=5"],
            &[r#"private="set-cookie, x", max-age=60"#],
            &["max-age=60, must-revalidate"],
        ] {
            assert!(cacheable(stored), "{stored:?}");
        }
        for not_stored in [
            &[][..],
            &["no-cache"],
            &["private, max-age=60"],
            &["max-age=60", "no-store"],
            &["public, no-store"],
            &["s-maxage=60, PRIVATE"],
            &[r#"x="max-age=1, public""#],
            &["must-revalidate"],
        ] {
            assert!(!cacheable(not_stored), "{not_stored:?}");
        }
    }

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
