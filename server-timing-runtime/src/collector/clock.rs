//! The monotonic clock every recording reads.
//!
//! `std::time::Instant`: a TSC clock (`quanta`) was measured as an alternative and cut the
//! cost of a timed call in scope by 34–42% (see `docs/performance.md`), short of the half that
//! would pay for a dependency whose first read calibrates for up to 200 ms.

use std::time::{Duration, Instant};

/// A point on the monotonic clock.
///
/// Recordings are placed on the timeline as these points themselves, not as offsets from
/// the collector's start: a timed call then does one clock subtraction (its duration), the
/// same as timing it by hand, and work that started before the collector needs no case of
/// its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Moment(Instant);

impl Moment {
    pub(crate) fn now() -> Self {
        Moment(Instant::now())
    }

    /// Time since `self`; zero rather than a panic if the clock ever stepped back.
    pub(crate) fn elapsed(self) -> Duration {
        self.0.elapsed()
    }

    /// Time from `self` to `later`; zero if `later` is earlier.
    pub(crate) fn until(self, later: Moment) -> Duration {
        later.0.saturating_duration_since(self.0)
    }
}

impl From<Instant> for Moment {
    fn from(instant: Instant) -> Self {
        Moment(instant)
    }
}

/// A duration in nanoseconds, saturated (at 584 years). In 64 bits rather than through
/// `as_nanos`' 128: this runs once per timed call.
pub(crate) fn nanos(duration: Duration) -> u64 {
    duration
        .as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(duration.subsec_nanos()))
}

#[cfg(test)]
mod tests {
    use super::Moment;
    use std::thread;
    use std::time::Duration;

    const READS: usize = 1_000;

    /// Reads `start.elapsed()` `READS` times, failing if a reading is below the one before it
    /// (the first is compared with `floor`); returns the last reading.
    fn read_forward(start: Moment, floor: Duration) -> Duration {
        let mut last = floor;
        for _ in 0..READS {
            let now = start.elapsed();
            assert!(now >= last, "elapsed went back from {last:?} to {now:?}");
            last = now;
        }
        last
    }

    #[test]
    fn elapsed_never_goes_back_on_a_thread_that_may_migrate() {
        let start = Moment::now();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                thread::spawn(move || {
                    let mut last = Duration::ZERO;
                    for _ in 0..50 {
                        last = read_forward(start, last);
                        // Give the scheduler a chance to move this thread to another core.
                        thread::yield_now();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("a reading went back");
        }
    }

    #[test]
    fn elapsed_never_goes_back_from_one_thread_to_the_next() {
        // A `Moment` taken on one thread and read on others, each thread starting after the
        // one before it ended: a later thread, wherever it runs, must never see less time.
        let start = thread::spawn(Moment::now).join().expect("the clock is readable");
        let mut last = Duration::ZERO;
        for _ in 0..200 {
            last = thread::spawn(move || read_forward(start, last))
                .join()
                .expect("a reading went back");
        }
        assert!(
            last > Duration::ZERO,
            "the clock did not advance over 200 threads"
        );
    }
}
