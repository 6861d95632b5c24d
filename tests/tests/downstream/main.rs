//! Outgoing calls: a downstream service's `Server-Timing` merged into the request's, the
//! reqwest middleware and tower's `DownstreamLayer` against real local servers, and the trace
//! they forward.

mod merging;
mod reqwest_calls;
mod trace_forwarding;
