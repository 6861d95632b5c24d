//! The wall-clock time during which at least one recording of a name ran: the union of their
//! intervals, in bounded memory.
//!
//! A name keeps at most [`STRETCHES`] disjoint stretches of time, each with the time it
//! covers. While a name has no more, the union is exact, whatever the order recordings arrive
//! in. One more separate stretch is merged with its nearest neighbour: their sum stays exact,
//! but where the gap between them lay is forgotten. A later recording that overlaps such a
//! merged stretch only in part is assumed to overlap its covered time as much as it can, so
//! the union may then come out low, never above the time from the first start to the last
//! end. Nested calls, and calls that run alongside each other as `join!`, `select!` and
//! spawned tasks run them, overlap whole stretches and stay exact.

use crate::collector::clock::{Moment, nanos};

/// Disjoint stretches one name keeps.
pub(crate) const STRETCHES: usize = 4;

/// A stretch of time, `lo..hi`, of which `covered` nanoseconds were inside a recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stretch {
    lo: Moment,
    hi: Moment,
    covered: u64,
}

impl Stretch {
    fn whole(lo: Moment, hi: Moment) -> Self {
        Stretch {
            lo,
            hi,
            covered: nanos(lo.until(hi)),
        }
    }

    /// Whether the two share time (or touch).
    fn meets(&self, other: &Stretch) -> bool {
        self.lo <= other.hi && other.lo <= self.hi
    }

    /// One stretch for both. Where they overlap, as much of the two covered times as can be
    /// is taken to coincide: exact when either covers its whole stretch.
    fn join(self, other: Stretch) -> Stretch {
        let overlap = nanos(self.lo.max(other.lo).until(self.hi.min(other.hi)));
        let shared = overlap.min(self.covered).min(other.covered);
        Stretch {
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
            covered: (self.covered + other.covered).saturating_sub(shared),
        }
    }
}

/// The union of the intervals of one name's recordings: at least one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Spans {
    /// Sorted by `lo`, disjoint; the first `len` of them used, the rest unread copies.
    stretches: [Stretch; STRETCHES],
    len: u8,
}

impl Spans {
    /// The interval `lo..hi` (`hi >= lo`) alone.
    pub(crate) fn new(lo: Moment, hi: Moment) -> Spans {
        Spans {
            stretches: [Stretch::whole(lo, hi); STRETCHES],
            len: 1,
        }
    }

    /// Add the interval `lo..hi` (`hi >= lo`).
    pub(crate) fn add(&mut self, lo: Moment, hi: Moment) {
        let len = usize::from(self.len);
        // The usual case first: a call that started after every earlier one ended, as
        // calls of one name in sequence do.
        let last = &mut self.stretches[len - 1];
        if lo > last.hi {
            if len < STRETCHES {
                self.stretches[len] = Stretch::whole(lo, hi);
                self.len += 1;
            } else {
                last.hi = hi;
                last.covered = last.covered.saturating_add(nanos(lo.until(hi)));
            }
            return;
        }
        self.insert(Stretch::whole(lo, hi));
    }

    /// Fold in another union (a thread's batch).
    pub(crate) fn merge(&mut self, other: &Spans) {
        for stretch in &other.stretches[..usize::from(other.len)] {
            self.insert(*stretch);
        }
    }

    /// The time covered, in nanoseconds.
    pub(crate) fn covered(&self) -> u64 {
        self.stretches[..usize::from(self.len)]
            .iter()
            .fold(0, |sum, s| sum.saturating_add(s.covered))
    }

    /// Where the earliest interval starts.
    pub(crate) fn first(&self) -> Moment {
        self.stretches[0].lo
    }

    /// Any stretch, anywhere: joined with those it meets, then put in order; if that makes one
    /// too many, it is joined with its nearest neighbour.
    fn insert(&mut self, mut new: Stretch) {
        let mut kept = [new; STRETCHES + 1];
        let mut n = 0;
        for stretch in &self.stretches[..usize::from(self.len)] {
            if stretch.meets(&new) {
                new = new.join(*stretch);
            } else {
                kept[n] = *stretch;
                n += 1;
            }
        }
        let at = kept[..n].iter().position(|s| s.lo > new.lo).unwrap_or(n);
        kept.copy_within(at..n, at + 1);
        kept[at] = new;
        n += 1;
        if n > STRETCHES {
            // The new stretch and its nearest neighbour, as the usual case in `add` does.
            let gap = |left: usize| kept[left].hi.until(kept[left + 1].lo);
            let left = match at {
                0 => 0,
                _ if at + 1 == n => at - 1,
                _ if gap(at - 1) <= gap(at) => at - 1,
                _ => at,
            };
            kept[left] = kept[left].join(kept[left + 1]);
            kept.copy_within(left + 2..n, left + 1);
            n -= 1;
        }
        self.stretches.copy_from_slice(&kept[..STRETCHES]);
        // `n` is at most `STRETCHES`, which fits a `u8`.
        self.len = n as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;
    use std::time::{Duration, Instant};

    /// `ns` nanoseconds into the tests' timeline.
    fn at(ns: u64) -> Moment {
        static ORIGIN: LazyLock<Instant> = LazyLock::new(Instant::now);
        Moment::from(*ORIGIN + Duration::from_nanos(ns))
    }

    fn spans(intervals: &[(u64, u64)]) -> Spans {
        let (lo, hi) = intervals[0];
        let mut spans = Spans::new(at(lo), at(hi));
        for &(lo, hi) in &intervals[1..] {
            spans.add(at(lo), at(hi));
        }
        spans
    }

    fn union(intervals: &[(u64, u64)]) -> u64 {
        spans(intervals).covered()
    }

    #[test]
    fn sequential_intervals_are_summed_however_many() {
        let calls: Vec<_> = (0..100).map(|i| (i * 10, i * 10 + 3)).collect();
        assert_eq!(union(&calls), 300);
    }

    #[test]
    fn overlapping_intervals_count_once() {
        // `join!` of a 40 and a 60 long call: 60, in either order of completion.
        assert_eq!(union(&[(0, 40), (1, 61)]), 61);
        assert_eq!(union(&[(1, 61), (0, 40)]), 61);
        // Nested: the outer call ends last.
        assert_eq!(union(&[(2, 5), (6, 8), (0, 10)]), 10);
    }

    #[test]
    fn a_long_call_over_many_short_ones_is_exact() {
        // A call running from 0 to 1000 alongside 50 short calls of the same name, which all
        // complete before it: the short ones are merged, the long one covers them all.
        let mut calls: Vec<_> = (0..50).map(|i| (i * 20, i * 20 + 5)).collect();
        calls.push((0, 1_000));
        assert_eq!(union(&calls), 1_000);
    }

    #[test]
    fn out_of_order_arrivals_are_exact_within_the_stretches_kept() {
        assert_eq!(union(&[(20, 30), (0, 10), (40, 50), (5, 25)]), 40);
    }

    #[test]
    fn the_union_never_exceeds_the_span() {
        // Whatever the pattern, at most last end minus first start.
        let mut seed = 7_u64;
        for _ in 0..200 {
            let mut intervals = Vec::new();
            for _ in 0..20 {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let lo = (seed >> 33) % 1_000;
                intervals.push((lo, lo + (seed >> 50) % 200));
            }
            let lo_min = intervals.iter().map(|i| i.0).min().unwrap_or(0);
            let hi_max = intervals.iter().map(|i| i.1).max().unwrap_or(0);
            assert!(union(&intervals) <= hi_max - lo_min);
        }
    }

    #[test]
    fn merging_batches_keeps_the_union() {
        let mut a = spans(&[(10, 50)]);
        a.merge(&spans(&[(0, 60), (100, 110)]));
        assert_eq!(a.covered(), 70);
        assert_eq!(a.first(), at(0));
    }
}
