//! The monotonic clock every recording reads.

use std::time::Duration;

/// A point on the monotonic clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Start(std::time::Instant);

impl Start {
    #[inline]
    pub(crate) fn now() -> Self {
        Start(std::time::Instant::now())
    }

    #[inline]
    pub(crate) fn elapsed(self) -> Duration {
        self.0.elapsed()
    }
}
