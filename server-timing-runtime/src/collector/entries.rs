//! A request's entries: aggregation of repeated names, the order of first recordings, and the
//! room one request may take, whatever a loop records.

use std::borrow::Cow;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::collector::batch::Slot;
use crate::collector::clock::Moment;
use crate::collector::label::Label;
use crate::collector::metric::Metric;
use crate::header::sanitize;

/// Names left out that are remembered, so that each is counted once; any further name left
/// out counts at each recording (a flood past this many is counted high, in bounded memory).
const OMITTED_NAMES_KEPT: usize = 1_024;

/// What one collector holds, under its lock.
#[derive(Default)]
pub(crate) struct Entries {
    /// In the order their first recordings started (see [`Entries::place`]).
    pub(crate) metrics: Vec<Metric>,
    /// Entries left out: for lack of room, then, once written, also for the header budget.
    pub(crate) omitted: u32,
    /// Hashes of the names left out for lack of room, sorted, so that each counts once.
    omitted_names: Vec<u64>,
    /// The header is written: no second one is. Later recordings are still kept, for
    /// [`Timings::metrics`](crate::Timings::metrics) and the hook (what a streamed body does).
    pub(crate) closed: bool,
}

impl Entries {
    /// Fold in a thread's batch of timed calls.
    pub(crate) fn add_slots(&mut self, batch: &[Slot], max: usize) {
        // One allocation for the batch rather than a regrowth every few metrics.
        let room = max.saturating_sub(self.metrics.len()).min(batch.len());
        self.metrics.reserve(room);
        for slot in batch {
            // Only aggregated recordings are batched.
            if let Some(metric) = self.entry(Label::Site(slot.site), true, max, slot.first()) {
                metric.add_calls(&slot.spans, slot.count);
            }
        }
    }

    /// The metric a recording under `label` that started at `first` goes into, its
    /// description set if it had none and moved to its place in the order: the metric of that
    /// name when repeated names are aggregated, else a new one; `None` (and the name counted
    /// as omitted) when there is no room for it. Every stored name
    /// and description is sanitized, which the header writer relies on.
    pub(crate) fn entry(
        &mut self,
        label: Label,
        aggregate: bool,
        max: usize,
        first: Moment,
    ) -> Option<&mut Metric> {
        let fixed = matches!(label, Label::Site(_));
        let (name, description, checked) = label.into_parts();
        let found = match self.find(&name, aggregate) {
            Some(at) => Ok(at),
            None if checked || sanitize::is_clean_name(&name) => {
                self.push(name, max, fixed, first, aggregate)
            }
            None => {
                // Stored names are sanitized: look the name up again as it is stored.
                let clean = sanitize::name(name);
                match self.find(&clean, aggregate) {
                    Some(at) => Ok(at),
                    None => self.push(clean, max, fixed, first, aggregate),
                }
            }
        };
        let mut at = match found {
            Ok(at) => at,
            Err(name) => {
                self.omit(&name, aggregate);
                return None;
            }
        };
        if first < self.metrics[at].first {
            self.metrics[at].first = first;
            at = self.place(at);
        }
        let metric = &mut self.metrics[at];
        if metric.description.is_none() {
            metric.description = if checked {
                description
            } else {
                description.map(sanitize::description)
            };
        }
        Some(metric)
    }

    fn find(&self, name: &str, aggregate: bool) -> Option<usize> {
        if !aggregate {
            return None;
        }
        self.metrics.iter().position(|m| *m.name == *name)
    }

    /// Where a new metric of a sanitized `name` went, if there was room; else the name back.
    ///
    /// When all `max` entries are taken, a name fixed when compiled (a call site) takes the
    /// place of the last name given at run time, which is then counted as omitted: a flood of
    /// run-time names cannot push out the fns timed by the attribute.
    fn push(
        &mut self,
        name: Cow<'static, str>,
        max: usize,
        fixed: bool,
        first: Moment,
        aggregate: bool,
    ) -> Result<usize, Cow<'static, str>> {
        if self.metrics.len() >= max {
            let last_run_time = self.metrics.iter().rposition(|m| !m.fixed);
            match last_run_time {
                Some(at) if fixed => {
                    let evicted = self.metrics.remove(at);
                    self.omit(&evicted.name, aggregate);
                }
                _ => return Err(name),
            }
        }
        let mut metric = Metric::named(name, first);
        metric.fixed = fixed;
        self.metrics.push(metric);
        let last = self.metrics.len() - 1;
        Ok(self.place(last))
    }

    /// Move the metric at `at`, whose `first` may have become earlier, back to its place in
    /// the order (after those that started at the same time, which came first); where it went.
    fn place(&mut self, at: usize) -> usize {
        let first = self.metrics[at].first;
        let to = self.metrics[..at]
            .iter()
            .rposition(|m| m.first <= first)
            .map_or(0, |i| i + 1);
        self.metrics[to..=at].rotate_right(1);
        to
    }

    /// Count a name left out for lack of room: once per name when names are aggregated (as
    /// far as [`OMITTED_NAMES_KEPT`] names go), else once per recording, as each would have
    /// been an entry.
    fn omit(&mut self, name: &str, aggregate: bool) {
        if aggregate {
            let mut hasher = DefaultHasher::new();
            name.hash(&mut hasher);
            let hash = hasher.finish();
            match self.omitted_names.binary_search(&hash) {
                Ok(_) => return,
                Err(at) if self.omitted_names.len() < OMITTED_NAMES_KEPT => {
                    self.omitted_names.insert(at, hash);
                }
                Err(_) => {}
            }
        }
        self.omitted = self.omitted.saturating_add(1);
    }
}
