//! What the outgoing-call middleware (reqwest's `Downstream`, tower's `DownstreamLayer`)
//! share: one call's recording, the trace context it carries, and the merge of its
//! response's metrics.

use std::borrow::Cow;
use std::sync::Arc;

use http::HeaderMap;
use http::header::HeaderValue;

use crate::client::merge::record_downstream;
use crate::collector::clock::Moment;
use crate::collector::label::Label;
use crate::collector::metric::Outcome;
use crate::collector::timings::Timings;
use crate::trace::{self, TRACEPARENT, TRACESTATE};

/// The name calls are recorded under, and the description of the call's metric.
#[derive(Debug)]
pub(crate) struct Names {
    pub(crate) name: Cow<'static, str>,
    pub(crate) description: Option<Cow<'static, str>>,
}

impl Names {
    /// The call's label, its description naming `failure` when there is one.
    fn label(&self, failure: Option<&'static str>) -> Label {
        let description = match (&self.description, failure) {
            (description, None) => description.clone(),
            (None, Some(failure)) => Some(Cow::Borrowed(failure)),
            (Some(description), Some(failure)) => Some(Cow::Owned(format!("{description} ({failure})"))),
        };
        Label::Text {
            name: self.name.clone(),
            description,
        }
    }
}

/// Carry the current request's trace to the call (with trace context on), so that the called
/// service's spans join the same trace: `traceparent` with a parent id of the call's own (see
/// [`trace::for_call`]), and `tracestate` when the trace has one. A call that carries its own
/// `traceparent` (set by the application or an OpenTelemetry propagator) keeps it.
pub(crate) fn forward_trace(headers: &mut HeaderMap) {
    if headers.contains_key(&TRACEPARENT) {
        return;
    }
    let Some(timings) = Timings::current() else {
        return;
    };
    let Some(request) = timings.trace_context() else {
        return;
    };
    let call = trace::for_call(request);
    headers.insert(TRACEPARENT.clone(), call.parent.to_header_value());
    // Checked when it was read: visible ASCII only, but checked again rather than trusted.
    if let Some(state) = call.state.as_deref().and_then(|s| HeaderValue::from_str(s).ok()) {
        headers.insert(TRACESTATE.clone(), state);
    }
}

/// One call in flight: records into the collector that was current when it started, also
/// when dropped before it ended (marked cancelled). Started outside a scope, it holds nothing.
#[derive(Debug)]
pub(crate) struct Call {
    running: Option<(Timings, Moment)>,
    started: bool,
    names: Arc<Names>,
}

impl Call {
    /// A call that starts when [`start_here`](Self::start_here) is first called.
    pub(crate) fn pending(names: &Arc<Names>) -> Self {
        Call {
            running: None,
            started: false,
            names: Arc::clone(names),
        }
    }

    /// A call that starts now (reqwest's: its middleware runs when the call is sent).
    #[cfg(feature = "reqwest")]
    pub(crate) fn start(names: &Arc<Names>) -> Self {
        let mut call = Call::pending(names);
        call.start_here();
        call
    }

    /// Start the call, if not yet started, in the collector current here.
    pub(crate) fn start_here(&mut self) {
        if !self.started {
            self.started = true;
            self.running = Timings::current().map(|timings| (timings, Moment::now()));
        }
    }

    /// The response's head arrived: record the call, then merge its `Server-Timing` metrics
    /// as `{name}.*` (so the call comes before them).
    pub(crate) fn responded(&mut self, headers: &HeaderMap) {
        let Some((timings, start)) = self.running.take() else {
            return;
        };
        timings.add_span(self.names.label(None), start, Moment::now(), Outcome::Completed);
        // Into this call's collector, whichever is current where the call ends.
        timings.sync_scope(|| record_downstream(&self.names.name, headers));
    }

    /// The call failed: record it, described as `failure`.
    pub(crate) fn failed(&mut self, failure: &'static str) {
        if let Some((timings, start)) = self.running.take() {
            let label = self.names.label(Some(failure));
            timings.add_span(label, start, Moment::now(), Outcome::Completed);
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if let Some((timings, start)) = self.running.take() {
            timings.add_span(self.names.label(None), start, Moment::now(), Outcome::Cancelled);
        }
    }
}
