//! The `Server-Timing` value: writing it, reading it as browsers do, and the sanitizing that
//! keeps every written value valid.

pub(crate) mod downstream;
pub(crate) mod format;
pub(crate) mod parse;
pub(crate) mod sanitize;
pub(crate) mod traceparent;
