//! The per-request collector and everything that records into it: `Timings` (which holds
//! the request's trace context), the recording functions, guards and future wrappers, and
//! the aggregation of what they record.
//!
//! Dependencies run one way: the recording APIs ([`record`](crate::record), the guards and the
//! future wrappers) go through the collector current on their thread ([`current`]); the
//! collector folds in [`batch`], the per-thread batch of timed calls, which knows nothing of
//! the collector it is emptied into, and writes its header through `header`. Recordings get
//! in through [`recording`], above both the collector's state ([`inner`]) and the thread's
//! current collector ([`current`], which holds one).

pub(crate) mod batch;
pub(crate) mod clock;
pub(crate) mod current;
pub(crate) mod entries;
pub(crate) mod future;
pub(crate) mod inner;
pub(crate) mod label;
pub(crate) mod metric;
pub(crate) mod record;
pub(crate) mod recording;
pub(crate) mod response;
pub(crate) mod scope;
pub(crate) mod spans;
pub(crate) mod timings;
