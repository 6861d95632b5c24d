//! The per-request collector and everything that records into it.
//!
//! Dependencies run one way: the recording APIs ([`record`](crate::record), the guards and the
//! future wrappers) go through [`timings`], the collector; the collector folds in [`batch`],
//! the per-thread batch of timed calls, which knows nothing of the collector it is emptied
//! into.

pub(crate) mod batch;
pub(crate) mod clock;
pub(crate) mod future;
pub(crate) mod label;
pub(crate) mod metric;
pub(crate) mod record;
pub(crate) mod spans;
pub(crate) mod timings;
