//! The `Server-Timing` value: writing it, reading it as browsers do, and the sanitizing that
//! keeps every written value valid. It knows the options, and nothing of who records.

pub(crate) mod entry;
pub(crate) mod names;
pub(crate) mod number;
pub(crate) mod parse;
pub(crate) mod sanitize;
pub(crate) mod write;
