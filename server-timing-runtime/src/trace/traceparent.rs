//! The W3C trace-context `traceparent` value: strict parsing and printing.
//!
//! <https://www.w3.org/TR/trace-context/#traceparent-header>: version `00`, then a 16-byte
//! trace id, an 8-byte parent id and 8 bits of flags, all as lowercase hex joined by `-`.

use std::error::Error;
use std::fmt;
use std::str::FromStr;

use http::HeaderValue;

use crate::trace::ids::{random_parent_id, random_trace_id};

/// The length of a version `00` `traceparent`: `00-<32 hex>-<16 hex>-<2 hex>`.
const TRACEPARENT_LEN: usize = 55;

/// Where each field starts in the printed form `00-<trace id>-<parent id>-<flags>`.
const TRACE_ID: usize = 3;
const PARENT_ID: usize = 36;
const FLAGS: usize = 53;

/// The printed form of a version `00` value before its fields are written.
const TEMPLATE: [u8; TRACEPARENT_LEN] = {
    let mut text = [b'-'; TRACEPARENT_LEN];
    text[0] = b'0';
    text[1] = b'0';
    text
};

/// The `sampled` bit of the trace flags.
const SAMPLED: u8 = 0x01;
/// Level 2's `random-trace-id` bit: the trace id's right 7 bytes are random.
const RANDOM: u8 = 0x02;
/// The flags defined so far, which a continued trace carries on; others are written as zero.
const KNOWN_FLAGS: u8 = SAMPLED | RANDOM;

/// A W3C trace-context [`traceparent`](https://www.w3.org/TR/trace-context/#traceparent-header):
/// which trace a request belongs to and which span of it is the parent of the next hop.
///
/// Parsed by the specification's rules ([`FromStr`]): lowercase hex only, neither id all
/// zeros; version `00` exactly 55 characters; a higher version (but `ff`, which is invalid)
/// read by its versioning rule, its first four fields each followed by a dash or the end,
/// and taken as version `00`; anything else is an error, so an invalid incoming value is never
/// echoed. Printed ([`Display`](fmt::Display)) as version `00`.
///
/// With trace context on ([`Options::trace_context`](crate::Options::trace_context)), a
/// request's `TraceParent` is written into its `Server-Timing` header as
/// `traceparent;desc="00-…"`, where browser RUM SDKs look for it, and
/// [`Timings::trace_parent`](crate::Timings::trace_parent) gives it to the application, e.g.
/// for its log lines or for the `traceparent` of the calls it makes.
///
/// ```
/// use server_timing_runtime::TraceParent;
///
/// let value = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// let parent: TraceParent = value.parse().unwrap();
/// assert_eq!(parent.trace_id()[0], 0x4b);
/// assert_eq!(parent.parent_id()[7], 0xb7);
/// assert!(parent.sampled());
/// assert_eq!(parent.to_string(), value);
///
/// assert!("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01".parse::<TraceParent>().is_err());
/// assert!("00-00000000000000000000000000000000-00f067aa0ba902b7-01".parse::<TraceParent>().is_err());
///
/// // A later version of the format, with a field this one does not know: read as version 00.
/// let later: TraceParent = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what".parse().unwrap();
/// assert_eq!(later, parent);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent {
    // The printed form, which is what a traced request reads and writes: a continued trace
    // keeps the incoming trace id as it came, and no id is decoded unless asked for. Lowercase
    // hex is canonical, so equal texts are equal values.
    text: [u8; TRACEPARENT_LEN],
}

impl TraceParent {
    /// A `TraceParent` of these ids and trace flags; `None` when either id is all zeros,
    /// which the specification forbids.
    ///
    /// ```
    /// use server_timing_runtime::TraceParent;
    ///
    /// let parent = TraceParent::new([1; 16], [2; 8], 0x01).unwrap();
    /// assert_eq!(parent.to_string(), "00-01010101010101010101010101010101-0202020202020202-01");
    /// assert!(TraceParent::new([0; 16], [2; 8], 0x01).is_none());
    /// ```
    pub const fn new(trace_id: [u8; 16], parent_id: [u8; 8], flags: u8) -> Option<TraceParent> {
        if u128::from_be_bytes(trace_id) == 0 || u64::from_be_bytes(parent_id) == 0 {
            return None;
        }
        Some(TraceParent::of(trace_id, parent_id, flags))
    }

    /// The value of ids known not to be zero.
    const fn of(trace_id: [u8; 16], parent_id: [u8; 8], flags: u8) -> TraceParent {
        let text = put_hex(TEMPLATE, TRACE_ID, trace_id);
        let text = put_hex(text, PARENT_ID, parent_id);
        TraceParent {
            text: put_hex(text, FLAGS, [flags]),
        }
    }

    /// The trace id: the whole distributed trace this request is part of.
    ///
    /// ```
    /// let parent = server_timing_runtime::TraceParent::new([7; 16], [9; 8], 0).unwrap();
    /// assert_eq!(parent.trace_id(), [7; 16]);
    /// ```
    pub const fn trace_id(&self) -> [u8; 16] {
        decode(&self.text, TRACE_ID)
    }

    /// The parent id: the span that the next hop (the browser, a downstream service) reports
    /// as its parent.
    ///
    /// ```
    /// let parent = server_timing_runtime::TraceParent::new([7; 16], [9; 8], 0).unwrap();
    /// assert_eq!(parent.parent_id(), [9; 8]);
    /// ```
    pub const fn parent_id(&self) -> [u8; 8] {
        decode(&self.text, PARENT_ID)
    }

    /// The trace flags, all 8 bits.
    ///
    /// ```
    /// let parent = server_timing_runtime::TraceParent::new([7; 16], [9; 8], 0x03).unwrap();
    /// assert_eq!(parent.flags(), 0x03);
    /// ```
    pub const fn flags(&self) -> u8 {
        let [flags] = decode(&self.text, FLAGS);
        flags
    }

    /// Whether the `sampled` flag is set: the caller may have recorded this trace.
    ///
    /// ```
    /// let parent = server_timing_runtime::TraceParent::new([7; 16], [9; 8], 0x01).unwrap();
    /// assert!(parent.sampled());
    /// ```
    pub const fn sampled(&self) -> bool {
        self.flags() & SAMPLED != 0
    }

    /// The value as a header value, e.g. for the `traceparent` of an outgoing request.
    ///
    /// ```
    /// let parent = server_timing_runtime::TraceParent::new([7; 16], [9; 8], 0x01).unwrap();
    /// let mut request = http::Request::new(());
    /// request.headers_mut().insert("traceparent", parent.to_header_value());
    /// assert_eq!(request.headers()["traceparent"], parent.to_string().as_str());
    /// ```
    pub fn to_header_value(&self) -> HeaderValue {
        // Hex digits and dashes: always a valid value.
        HeaderValue::from_bytes(&self.text).unwrap_or_else(|_| HeaderValue::from_static("00"))
    }

    /// A `<meta name="traceparent" content="…">` tag with this value, for pages whose
    /// OpenTelemetry JS document-load instrumentation reads the trace context from the
    /// document rather than from `Server-Timing`. The value is hex and dashes only, so it
    /// needs no escaping.
    ///
    /// ```
    /// let parent = server_timing_runtime::TraceParent::new([7; 16], [9; 8], 0x01).unwrap();
    /// assert_eq!(
    ///     parent.meta_tag(),
    ///     r#"<meta name="traceparent" content="00-07070707070707070707070707070707-0909090909090909-01">"#,
    /// );
    /// ```
    pub fn meta_tag(&self) -> String {
        format!(r#"<meta name="traceparent" content="{self}">"#)
    }

    /// Whether Level 2's `random-trace-id` flag is set: the trace id was made at random.
    ///
    /// ```
    /// let parent = server_timing_runtime::TraceParent::new([7; 16], [9; 8], 0x03).unwrap();
    /// assert!(parent.random());
    /// ```
    pub const fn random(&self) -> bool {
        self.flags() & RANDOM != 0
    }

    /// The same trace, with a new parent id (this server's own work, or a call it makes) and
    /// the flags defined so far carried over; the others are written as zero.
    pub(crate) fn child(&self) -> TraceParent {
        let text = put_hex(self.text, PARENT_ID, random_parent_id());
        TraceParent {
            text: put_hex(text, FLAGS, [self.flags() & KNOWN_FLAGS]),
        }
    }

    /// A new trace: random ids, so `random-trace-id` set.
    pub(crate) fn fresh(sampled: bool) -> TraceParent {
        let flags = if sampled { SAMPLED | RANDOM } else { RANDOM };
        TraceParent::of(random_trace_id(), random_parent_id(), flags)
    }

    /// The same, with the `sampled` flag alone: what the `traceparent` entry carries, as the
    /// RUM agents that match `-01` read it.
    pub(crate) fn sampled_only(&self) -> TraceParent {
        TraceParent {
            text: put_hex(self.text, FLAGS, [self.flags() & SAMPLED]),
        }
    }

    /// The hex digits of the trace id and of the parent id.
    pub(crate) fn id_texts(&self) -> (&[u8], &[u8]) {
        (
            &self.text[TRACE_ID..PARENT_ID - 1],
            &self.text[PARENT_ID..FLAGS - 1],
        )
    }

    /// The printed form, as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.text
    }

    /// The printed form, as it goes into a response's header.
    pub(crate) fn as_str(&self) -> &str {
        // Hex digits and dashes only: always UTF-8.
        std::str::from_utf8(&self.text).unwrap_or_default()
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceParent({self})")
    }
}

impl FromStr for TraceParent {
    type Err = ParseTraceParentError;

    fn from_str(value: &str) -> Result<TraceParent, ParseTraceParentError> {
        TraceParent::parse(value.as_bytes())
    }
}

impl TraceParent {
    /// [`FromStr`] on bytes, as header values come. Only checked, not decoded: the value is
    /// kept as it came.
    pub(crate) fn parse(value: &[u8]) -> Result<TraceParent, ParseTraceParentError> {
        use ParseTraceParentError as E;
        let version = value.get(..TRACE_ID - 1).ok_or(E(Invalid::Length))?;
        if !is_lower_hex(version) {
            return Err(E(Invalid::Hex));
        }
        if version == b"ff" {
            return Err(E(Invalid::Version));
        }
        // Version 00 is exactly its fields; a later one may add fields, after a dash.
        let fits = match value.len() {
            TRACEPARENT_LEN => true,
            len => version != b"00" && len > TRACEPARENT_LEN,
        };
        if !fits {
            return Err(E(Invalid::Length));
        }
        if value.len() > TRACEPARENT_LEN && value[TRACEPARENT_LEN] != b'-' {
            return Err(E(Invalid::Separator));
        }
        let mut text: [u8; TRACEPARENT_LEN] = value[..TRACEPARENT_LEN]
            .try_into()
            .map_err(|_| E(Invalid::Length))?;
        if text[TRACE_ID - 1] != b'-' || text[PARENT_ID - 1] != b'-' || text[FLAGS - 1] != b'-' {
            return Err(E(Invalid::Separator));
        }
        let trace_id = &text[TRACE_ID..PARENT_ID - 1];
        let parent_id = &text[PARENT_ID..FLAGS - 1];
        let flags = &text[FLAGS..];
        if !(is_lower_hex(trace_id) & is_lower_hex(parent_id) & is_lower_hex(flags)) {
            return Err(E(Invalid::Hex));
        }
        if is_zero(trace_id) || is_zero(parent_id) {
            return Err(E(Invalid::ZeroId));
        }
        text[..TRACE_ID - 1].copy_from_slice(b"00");
        Ok(TraceParent { text })
    }
}

/// Why a `traceparent` value was rejected by [`TraceParent`]'s [`FromStr`].
///
/// ```
/// use server_timing_runtime::{ParseTraceParentError, TraceParent};
///
/// let error: ParseTraceParentError = "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
///     .parse::<TraceParent>()
///     .unwrap_err();
/// assert_eq!(error.to_string(), "invalid traceparent: version ff is invalid");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseTraceParentError(Invalid);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Invalid {
    Length,
    Separator,
    Hex,
    Version,
    ZeroId,
}

impl fmt::Display for ParseTraceParentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid traceparent: ")?;
        f.write_str(match self.0 {
            Invalid::Length => "version 00 not 55 characters, or a later version shorter",
            Invalid::Separator => "fields not separated by `-`",
            Invalid::Hex => "not lowercase hex",
            Invalid::Version => "version ff is invalid",
            Invalid::ZeroId => "an id is all zeros",
        })
    }
}

impl Error for ParseTraceParentError {}

/// Whether `text` is lowercase hex digits only. Folded over every digit rather than stopping
/// at the first bad one: the loop has no branch, so it checks many digits at a time.
fn is_lower_hex(text: &[u8]) -> bool {
    text.iter().fold(true, |valid, &c| {
        valid & ((c.wrapping_sub(b'0') < 10) | (c.wrapping_sub(b'a') < 6))
    })
}

/// Whether the hex digits `text` spell zero.
fn is_zero(text: &[u8]) -> bool {
    text.iter().all(|&c| c == b'0')
}

/// The `N` bytes that the `2 * N` lowercase hex digits at `at` in `text` spell.
const fn decode<const N: usize>(text: &[u8; TRACEPARENT_LEN], at: usize) -> [u8; N] {
    let mut bytes = [0; N];
    let mut i = 0;
    while i < N {
        bytes[i] = (nibble(text[at + 2 * i]) << 4) | nibble(text[at + 2 * i + 1]);
        i += 1;
    }
    bytes
}

/// The value of a lowercase hex digit: `0`-`9` are 0x30-0x39, `a`-`f` 0x61-0x66, told apart
/// by bit 6.
const fn nibble(c: u8) -> u8 {
    (c & 0x0f) + 9 * (c >> 6)
}

/// `text` with `bytes` written as lowercase hex at `at`. By value rather than through a
/// reference, so that `TraceParent::new` can stay a `const fn`.
const fn put_hex<const N: usize>(
    mut text: [u8; TRACEPARENT_LEN],
    at: usize,
    bytes: [u8; N],
) -> [u8; TRACEPARENT_LEN] {
    let mut i = 0;
    while i < N {
        text[at + 2 * i] = HEX_DIGITS[(bytes[i] >> 4) as usize];
        text[at + 2 * i + 1] = HEX_DIGITS[(bytes[i] & 0x0f) as usize];
        i += 1;
    }
    text
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_differ_and_are_valid() {
        let a = TraceParent::fresh(true);
        let b = TraceParent::fresh(true);
        assert_ne!(a.trace_id(), b.trace_id());
        assert_ne!(a.parent_id(), b.parent_id());
        assert_eq!(a.to_string().parse::<TraceParent>(), Ok(a));
        assert!(a.sampled());
        assert!(!TraceParent::fresh(false).sampled());
    }

    #[test]
    fn a_child_keeps_the_trace_and_the_defined_flags() {
        let parent = TraceParent::new([3; 16], [4; 8], 0xff).unwrap();
        let child = parent.child();
        assert_eq!(child.trace_id(), parent.trace_id());
        assert_ne!(child.parent_id(), parent.parent_id());
        assert_eq!(
            child.flags(),
            0x03,
            "sampled and random kept, undefined bits zero"
        );
        for flags in [0x00, 0x01, 0x02, 0x03] {
            let parent = TraceParent::new([3; 16], [4; 8], flags).unwrap();
            assert_eq!(parent.child().flags(), flags);
            assert_eq!(parent.sampled_only().flags(), flags & 0x01);
        }
    }

    #[test]
    fn a_fresh_trace_is_random() {
        assert_eq!(TraceParent::fresh(true).flags(), 0x03);
        assert_eq!(TraceParent::fresh(false).flags(), 0x02);
    }

    /// The specification's examples, and its versioning rule.
    #[test]
    fn parsing_follows_the_specification() {
        const IDS: &str = "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7";
        let parse = |value: &str| value.parse::<TraceParent>().map(|p| p.to_string());
        assert_eq!(parse(&format!("00-{IDS}-01")), Ok(format!("00-{IDS}-01")));
        assert_eq!(parse(&format!("00-{IDS}-00")), Ok(format!("00-{IDS}-00")));
        // A higher version: its first fields, each followed by a dash or the end.
        assert_eq!(parse(&format!("cc-{IDS}-01")), Ok(format!("00-{IDS}-01")));
        assert_eq!(
            parse(&format!("cc-{IDS}-01-what-the-future-will-be")),
            Ok(format!("00-{IDS}-01"))
        );
        assert_eq!(parse(&format!("01-{IDS}-09-")), Ok(format!("00-{IDS}-09")));
        let invalid = [
            format!("ff-{IDS}-01"),
            format!("00-{IDS}-01-what"),
            format!("00-{IDS}-1"),
            format!("cc-{IDS}-01what"),
            format!("cc-{IDS}-1"),
            format!("0g-{IDS}-01"),
            format!("CC-{IDS}-01"),
            format!("00-{}-01", IDS.to_uppercase()),
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01".to_owned(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01".to_owned(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01".to_owned(),
            String::new(),
            "0".to_owned(),
        ];
        for value in &invalid {
            assert!(parse(value).is_err(), "{value:?}");
        }
    }
}
