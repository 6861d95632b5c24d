//! What the writer needs of one entry: its name, what it measures, its description and the
//! notes DevTools should show, whoever keeps the entry.

use std::time::Duration;

/// What an entry measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Measure {
    /// A description alone, e.g. `cache;desc=hit`.
    None,
    /// Elapsed time, written in milliseconds.
    Duration(Duration),
    /// A number with no time meaning (a status code, a row count), written as is.
    Value(f64),
}

/// One metric entry, as the writer reads it.
pub(crate) trait Entry {
    /// A token (sanitized when recorded, or checked when compiled).
    fn name(&self) -> &str;
    fn measure(&self) -> Measure;
    /// Printable ASCII; empty for none.
    fn description(&self) -> &str;
    fn notes(&self) -> Notes;
}

/// What an entry's description says beyond its text, so that DevTools shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Notes {
    /// Timed calls folded into the entry, when more than one (see [`Notes::calls`]).
    pub(crate) calls: u32,
    /// Calls that returned an `Err(_)`.
    pub(crate) failed: u32,
    pub(crate) cancelled: u32,
    pub(crate) panicked: u32,
}

impl Notes {
    /// The `calls` note for `count` timed calls: a single call says nothing.
    pub(crate) fn calls(count: u32) -> u32 {
        if count > 1 { count } else { 0 }
    }

    pub(crate) fn is_none(self) -> bool {
        self == Notes::default()
    }
}

/// An entry that opens the field, ahead of `total` and the metrics, written as given: the
/// trace context's (`traceparent;desc="…"`). Its name is a token and its description
/// printable ASCII.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lead<'a> {
    pub(crate) name: &'static str,
    pub(crate) description: &'a [u8],
    /// The description always as a quoted-string (readers that match the raw header look
    /// for the quotes), else as a token where it is one.
    pub(crate) quoted: bool,
}
