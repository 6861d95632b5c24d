//! The collector: the manual recording API and its bounds, where a collector is current, the
//! per-thread batching of static names, and timed async calls across polls.

mod async_calls;
mod batching;
mod recording;
mod scopes;
