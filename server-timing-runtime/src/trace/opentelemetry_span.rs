//! The trace context of the OpenTelemetry span a request runs in (feature `opentelemetry`),
//! so that the header names the server span the backend trace shows.

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::TraceContextExt;

use crate::trace::tracestate::trace_state;
use crate::trace::{TraceContext, TraceParent};

/// The OpenTelemetry context current as the request starts, when it holds a valid span:
/// `opentelemetry::Context::current()`, which `tracing-opentelemetry` makes the entered
/// `tracing` span's context (its default, context activation), else the context of the
/// current `tracing` span, for a layer with activation off.
///
/// In this order because the first is a read of a thread-local, and the second looks the span
/// up in the subscriber, locks its data and clones its context: on every traced request of a
/// service that traces with OpenTelemetry, that was most of what trace context cost.
pub(crate) fn trace_context() -> Option<TraceContext> {
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
        Some(TraceContext::new(parent, state))
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

/// Says once per process, through `tracing` at WARN, when the OpenTelemetry span a request
/// runs in (`span`) is not in the trace its valid incoming `traceparent` names: the tracing
/// middleware made a new root span instead of extracting the incoming context, so the header
/// names a trace that the caller's does not contain.
pub(crate) fn check_continues(span: &TraceParent, incoming: &TraceParent) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if span.trace_id() == incoming.trace_id() || WARNED.swap(true, Ordering::Relaxed) {
        return;
    }
    tracing::warn!(
        target: "server_timing::trace_context",
        incoming = %incoming,
        span = %span,
        "the request's OpenTelemetry span does not continue its incoming traceparent, so its \
         trace does not join the caller's: extract the incoming context in the tracing \
         middleware and set it as the span's parent (see the trace context guide, \
         docs/trace-context.md); said once per process"
    );
}
