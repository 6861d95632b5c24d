//! Which entries carry a request's trace context in its `Server-Timing` header: the readers
//! differ (RUM agents, W3C Trace Context Level 2, Sentry), so the application chooses.

/// A `Server-Timing` entry that names the request's trace, for
/// [`Options::trace_entries`](crate::Options::trace_entries). Whichever are chosen, they open
/// the toolkit's field in this order (the variants' order), ahead of `total`.
///
/// ```
/// use server_timing_runtime::{Options, TraceEntry, Timings};
///
/// let options = Options::new()
///     .no_total()
///     .trace_context(true)
///     .trace_entries([TraceEntry::Trace, TraceEntry::Traceparent]);
/// let timings = Timings::with_options(options);
/// let value = timings.finish().unwrap();
/// let names: Vec<_> = server_timing_runtime::parse(value.to_str().unwrap())
///     .into_iter()
///     .map(|entry| entry.name)
///     .collect();
/// assert_eq!(names, ["traceparent", "trace"]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TraceEntry {
    /// `traceparent;desc="00-<trace id>-<span id>-<00|01>"`, then `tracestate;desc="…"` when
    /// the trace carries one: what Splunk RUM, Grafana Faro and Application Insights read.
    /// Its flags are the `sampled` bit alone (Splunk's agents link a page to its trace only
    /// when the value ends in `-01`); [`Timings::trace_parent`](crate::Timings::trace_parent)
    /// has them all. The default.
    Traceparent,
    /// `trace;desc=00-<trace id>-<span id>-<flags>`: the metric W3C Trace Context Level 2
    /// defines for a server to hand its trace context back, with the trace's flags.
    Trace,
    /// `sentry-trace;desc="<trace id>-<span id>-<0|1>"`: what Sentry's browser SDK reads to
    /// continue the backend's trace in its pageload.
    SentryTrace,
}

/// A set of [`TraceEntry`], kept in their written order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TraceEntries(u8);

impl TraceEntries {
    const fn bit(entry: TraceEntry) -> u8 {
        match entry {
            TraceEntry::Traceparent => 1,
            TraceEntry::Trace => 2,
            TraceEntry::SentryTrace => 4,
        }
    }

    /// `[TraceEntry::Traceparent]`.
    pub(crate) const DEFAULT: TraceEntries = TraceEntries(Self::bit(TraceEntry::Traceparent));

    pub(crate) fn of(entries: impl IntoIterator<Item = TraceEntry>) -> Self {
        TraceEntries(entries.into_iter().fold(0, |set, entry| set | Self::bit(entry)))
    }

    pub(crate) fn has(self, entry: TraceEntry) -> bool {
        self.0 & Self::bit(entry) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_holds_what_it_was_given_once_whatever_the_order() {
        let set = TraceEntries::of([TraceEntry::SentryTrace, TraceEntry::Trace, TraceEntry::Trace]);
        assert!(set.has(TraceEntry::Trace) && set.has(TraceEntry::SentryTrace));
        assert!(!set.has(TraceEntry::Traceparent));
        assert!(TraceEntries::DEFAULT.has(TraceEntry::Traceparent));
        assert_eq!(TraceEntries::of([]), TraceEntries(0));
    }
}
