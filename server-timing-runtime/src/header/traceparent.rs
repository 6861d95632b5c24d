//! The W3C trace-context `traceparent` value: strict parsing and printing, and fresh ids.
//!
//! <https://www.w3.org/TR/trace-context/#traceparent-header>: version `00`, then a 16-byte
//! trace id, an 8-byte parent id and 8 bits of flags, all as lowercase hex joined by `-`.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::error::Error;
use std::fmt;
use std::hash::BuildHasher;
use std::str::FromStr;

use http::{HeaderName, HeaderValue};

/// The length of a version `00` `traceparent`: `00-<32 hex>-<16 hex>-<2 hex>`.
const TRACEPARENT_LEN: usize = 55;

/// The W3C trace-context request headers, read on the way in and sent on outgoing calls,
/// spelled once for every `http` version's header names.
pub(crate) const TRACEPARENT_NAME: &str = "traceparent";
pub(crate) const TRACESTATE_NAME: &str = "tracestate";

/// The same as `http` header names. Statics, borrowed by every lookup: a `const` would build
/// a name and drop it again on each request.
pub(crate) static TRACEPARENT: HeaderName = HeaderName::from_static(TRACEPARENT_NAME);
pub(crate) static TRACESTATE: HeaderName = HeaderName::from_static(TRACESTATE_NAME);

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

/// A W3C trace-context [`traceparent`](https://www.w3.org/TR/trace-context/#traceparent-header):
/// which trace a request belongs to and which span of it is the parent of the next hop.
///
/// Parsed strictly ([`FromStr`]): version `00`, lowercase hex only, neither id all zeros,
/// exactly 55 characters; anything else is an error, so an invalid incoming value is never
/// echoed. Printed ([`Display`](fmt::Display)) in the same form.
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

    /// The same trace, with a new parent id for this server's own work and only the `sampled`
    /// flag carried over (the specification leaves other bits to whoever defines them).
    pub(crate) fn child(&self) -> TraceParent {
        let text = put_hex(self.text, PARENT_ID, random_parent_id());
        TraceParent {
            text: put_hex(text, FLAGS, [self.flags() & SAMPLED]),
        }
    }

    /// A new trace: random ids.
    pub(crate) fn fresh(sampled: bool) -> TraceParent {
        let mut trace_id = 0;
        while trace_id == 0 {
            trace_id = (u128::from(next_random()) << 64) | u128::from(next_random());
        }
        let flags = if sampled { SAMPLED } else { 0 };
        TraceParent::of(trace_id.to_be_bytes(), random_parent_id(), flags)
    }

    /// The printed form, as it goes into a response's header.
    pub(crate) fn as_bytes(&self) -> &[u8; TRACEPARENT_LEN] {
        &self.text
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hex digits and dashes only.
        f.write_str(std::str::from_utf8(&self.text).map_err(|_| fmt::Error)?)
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
        let text: [u8; TRACEPARENT_LEN] = value.try_into().map_err(|_| E(Invalid::Length))?;
        if text[TRACE_ID - 1] != b'-' || text[PARENT_ID - 1] != b'-' || text[FLAGS - 1] != b'-' {
            return Err(E(Invalid::Separator));
        }
        let version = &text[..TRACE_ID - 1];
        let trace_id = &text[TRACE_ID..PARENT_ID - 1];
        let parent_id = &text[PARENT_ID..FLAGS - 1];
        let flags = &text[FLAGS..];
        if !is_lower_hex(version) {
            return Err(E(Invalid::Hex));
        }
        if version != b"00" {
            return Err(E(Invalid::Version));
        }
        if !(is_lower_hex(trace_id) & is_lower_hex(parent_id) & is_lower_hex(flags)) {
            return Err(E(Invalid::Hex));
        }
        if is_zero(trace_id) || is_zero(parent_id) {
            return Err(E(Invalid::ZeroId));
        }
        Ok(TraceParent { text })
    }
}

/// Why a `traceparent` value was rejected by [`TraceParent`]'s [`FromStr`].
///
/// ```
/// use server_timing_runtime::{ParseTraceParentError, TraceParent};
///
/// let error: ParseTraceParentError = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
///     .parse::<TraceParent>()
///     .unwrap_err();
/// assert_eq!(error.to_string(), "invalid traceparent: version is not 00");
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
            Invalid::Length => "not 55 characters",
            Invalid::Separator => "fields not separated by `-`",
            Invalid::Hex => "not lowercase hex",
            Invalid::Version => "version is not 00",
            Invalid::ZeroId => "an id is all zeros",
        })
    }
}

impl Error for ParseTraceParentError {}

/// Whether `text` is lowercase hex digits only.
fn is_lower_hex(text: &[u8]) -> bool {
    // Folded over every digit rather than stopping at the first bad one: the loop then has no
    // branch, and the compiler checks whole vectors of digits at once. This runs on every
    // traced request.
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
/// reference, so that `TraceParent::new` can stay a `const fn`; inlined, so that the copies
/// are not made.
#[inline(always)]
const fn put_hex<const N: usize>(
    mut text: [u8; TRACEPARENT_LEN],
    at: usize,
    bytes: [u8; N],
) -> [u8; TRACEPARENT_LEN] {
    let mut i = 0;
    while i < N {
        let [high, low] = HEX_PAIRS[bytes[i] as usize];
        text[at + 2 * i] = high;
        text[at + 2 * i + 1] = low;
        i += 1;
    }
    text
}

/// The two lowercase hex digits of each byte: one lookup a byte, as every new id is written.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        pairs[byte] = [DIGITS[byte >> 4], DIGITS[byte & 0xf]];
        byte += 1;
    }
    pairs
};

fn random_parent_id() -> [u8; 8] {
    let mut id = 0;
    while id == 0 {
        id = next_random();
    }
    id.to_be_bytes()
}

thread_local! {
    // SplitMix64 state, seeded per thread from the standard library's per-process random
    // hash keys: ids must not repeat across requests, threads or restarts, and need not resist
    // an attacker (they are sent to the client anyway), so no OS call per request.
    static RANDOM: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let thread = std::thread::current().id();
    let now = std::time::SystemTime::now();
    RandomState::new().hash_one((thread, now))
}

/// The next value of this thread's SplitMix64 sequence (a full-period generator: no value
/// repeats within 2^64 draws).
fn next_random() -> u64 {
    let step = |state: u64| state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let state = RANDOM
        .try_with(|cell| {
            let next = step(cell.get());
            cell.set(next);
            next
        })
        // Thread-locals are being torn down: a one-off seed.
        .unwrap_or_else(|_| step(seed()));
    let mut z = state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What a response's `Server-Timing` says of its trace: the `traceparent`, and the
/// `tracestate` that goes with it when there is a valid one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TraceContext {
    pub(crate) parent: TraceParent,
    pub(crate) state: Option<Box<str>>,
}

/// The most `tracestate` members the specification allows.
const MAX_MEMBERS: usize = 32;

/// The longest `tracestate` passed on: the length the specification requires vendors to
/// propagate, and what fits a header budget next to the metrics.
pub(crate) const MAX_TRACESTATE_LEN: usize = 512;

/// A `tracestate` from its header fields (combined as one comma-separated list, as the
/// specification says), if every member is valid, no key repeats, and it is at most
/// [`MAX_TRACESTATE_LEN`] long: otherwise `None`, so a broken value is never passed on. Empty
/// members and the blanks around members are dropped; `None` also when nothing is left.
pub(crate) fn trace_state<'a>(fields: impl Iterator<Item = &'a [u8]>) -> Option<Box<str>> {
    // This runs on every traced request that carries a `tracestate`: each member is checked
    // in one pass over its bytes and copied as it is, repeated keys are looked for once all
    // are in and only if there are several, and the copy is made to the size of the fields,
    // so that a value that needs no trimming is allocated once.
    let mut out = Vec::new();
    let mut members = 0;
    for field in fields {
        if field.len() > MAX_TRACESTATE_LEN * 2 {
            return None;
        }
        // Room for the field and the comma that joins it to the last one.
        out.reserve_exact(field.len() + usize::from(!out.is_empty()));
        for member in field.split(|&c| c == b',') {
            let member = trim(member);
            if member.is_empty() {
                continue;
            }
            if !is_list_member(member) || members == MAX_MEMBERS {
                return None;
            }
            members += 1;
            if !out.is_empty() {
                out.push(b',');
            }
            out.extend_from_slice(member);
            if out.len() > MAX_TRACESTATE_LEN {
                return None;
            }
        }
    }
    if out.is_empty() || (members > 1 && has_repeated_key(&out)) {
        return None;
    }
    // Printable ASCII only, checked member by member.
    String::from_utf8(out).ok().map(String::into_boxed_str)
}

/// `value` without leading and trailing spaces and tabs (the specification's `OWS`).
pub(crate) fn trim(value: &[u8]) -> &[u8] {
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let start = value.iter().position(|c| !blank(c)).unwrap_or(value.len());
    let end = value.iter().rposition(|c| !blank(c)).map_or(start, |end| end + 1);
    &value[start..end]
}

/// Whether two of the `,`-joined valid members `written` (at most [`MAX_MEMBERS`]) have the
/// same key. Each key's hash is compared with those of the keys before it, and the keys
/// themselves only where a hash matches: whoever sends the request chooses its members, and
/// comparing every pair byte by byte made 32 of them cost several microseconds.
fn has_repeated_key(written: &[u8]) -> bool {
    let mut hashes = [0_u32; MAX_MEMBERS];
    let mut start = 0;
    for (i, member) in (0..MAX_MEMBERS).zip(written.split(|&c| c == b',')) {
        let key = member.split(|&c| c == b'=').next().unwrap_or_default();
        // FNV-1a: keys are short, and a collision costs only a look at the keys before.
        let hash = key.iter().fold(0x811c_9dc5, |hash: u32, &c| {
            (hash ^ u32::from(c)).wrapping_mul(0x0100_0193)
        });
        if hashes[..i].contains(&hash) && has_key(&written[..start], key) {
            return true;
        }
        hashes[i] = hash;
        start += member.len() + 1;
    }
    false
}

/// Whether the `,`-joined members `written` have this key.
fn has_key(written: &[u8], key: &[u8]) -> bool {
    written.split(|&c| c == b',').any(|member| {
        member
            .strip_prefix(key)
            .is_some_and(|rest| rest.first() == Some(&b'='))
    })
}

/// Whether `member` is a valid `key=value` list member, checked in one pass. The key is a
/// `simple-key` or `tenant-id "@" system-id`; the value up to 256 printable ASCII characters
/// but `,` and `=`, not ending in a space.
fn is_list_member(member: &[u8]) -> bool {
    let mut equals = None;
    let mut at = None;
    for (i, &c) in member.iter().enumerate() {
        match c {
            b'=' => {
                equals = Some(i);
                break;
            }
            b'@' if at.is_none() => at = Some(i),
            _ if CLASS[usize::from(c)] & KEY_CHAR == 0 => return false,
            _ => {}
        }
    }
    let Some(equals) = equals else {
        return false;
    };
    let (key, value) = (&member[..equals], &member[equals + 1..]);
    let key_valid = match at {
        None => key.len() <= 256 && key.first().is_some_and(u8::is_ascii_lowercase),
        Some(at) => {
            let (tenant, system) = (&key[..at], &key[at + 1..]);
            (1..=241).contains(&tenant.len())
                && matches!(tenant[0], b'a'..=b'z' | b'0'..=b'9')
                && (1..=14).contains(&system.len())
                && system[0].is_ascii_lowercase()
        }
    };
    let value_valid = (1..=256).contains(&value.len())
        && value.last() != Some(&b' ')
        && value.iter().fold(true, |valid, &c| {
            valid & (CLASS[usize::from(c)] & VALUE_CHAR != 0)
        });
    key_valid && value_valid
}

/// Marks the bytes a `tracestate` key may have (but the `@` that separates a tenant) in
/// [`CLASS`].
const KEY_CHAR: u8 = 0x01;
/// Marks the bytes a `tracestate` value may have in [`CLASS`].
const VALUE_CHAR: u8 = 0x02;

/// What each byte may be in a `tracestate` member: one lookup per byte instead of a chain of
/// ranges.
const CLASS: [u8; 256] = {
    let mut table = [0; 256];
    let mut c = b' ';
    while c <= b'~' {
        if c != b',' && c != b'=' {
            table[c as usize] |= VALUE_CHAR;
        }
        if matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/') {
            table[c as usize] |= KEY_CHAR;
        }
        c += 1;
    }
    table
};

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
    fn a_child_keeps_the_trace_and_only_the_sampled_flag() {
        let parent = TraceParent::new([3; 16], [4; 8], 0xff).unwrap();
        let child = parent.child();
        assert_eq!(child.trace_id(), parent.trace_id());
        assert_ne!(child.parent_id(), parent.parent_id());
        assert_eq!(child.flags(), 0x01);
        assert_eq!(
            TraceParent::new([3; 16], [4; 8], 0x02).unwrap().child().flags(),
            0
        );
    }

    fn state(fields: &[&str]) -> Option<String> {
        trace_state(fields.iter().map(|f| f.as_bytes())).map(String::from)
    }

    #[test]
    fn trace_state_follows_the_specification() {
        assert_eq!(
            state(&["congo=t61rcWkgMzE"]).as_deref(),
            Some("congo=t61rcWkgMzE")
        );
        assert_eq!(
            state(&["rojo=00f067aa0ba902b7, congo=t61rcWkgMzE", "t@vendor=x"]).as_deref(),
            Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,t@vendor=x")
        );
        assert_eq!(state(&[" , a=1 ,, "]).as_deref(), Some("a=1"));
        assert_eq!(
            state(&[r#"a="quoted" \ too"#]).as_deref(),
            Some(r#"a="quoted" \ too"#)
        );
        for bad in [
            "Upper=1",
            "a=1,a=2",
            "a",
            "=1",
            "a=",
            "a=x=y",
            "a=caf\u{e9}",
            "a=\n",
            "@v=1",
            "t@=1",
            "1a=1",
            "t@v@w=1",
            "t@Vendor=1",
            "t@v/x\u{7f}=1",
            "t@vendor-too-long=1",
            "a b=1",
            "a=1\u{1}",
        ] {
            assert_eq!(state(&[bad]), None, "{bad:?}");
        }
        let many: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
        assert_eq!(state(&[many.join(",").as_str()]), None);
        assert!(state(&[many[..32].join(",").as_str()]).is_some());
        let long = format!("a={}", "x".repeat(257));
        assert_eq!(state(&[long.as_str()]), None);
        let wide: Vec<String> = (0..3).map(|i| format!("k{i}={}", "x".repeat(200))).collect();
        assert_eq!(state(&[wide.join(",").as_str()]), None);
        assert_eq!(state(&[""]), None);
        assert_eq!(
            state(&["1t@v=1,t*/_-@v9=2"]).as_deref(),
            Some("1t@v=1,t*/_-@v9=2")
        );
        assert_eq!(state(&["a=1", "b=2, a=3"]), None);
        assert_eq!(state(&["ab=1,a=2,b=3"]).as_deref(), Some("ab=1,a=2,b=3"));
        let mut repeated = many[..31].to_vec();
        repeated.push("k0=again".to_owned());
        assert_eq!(state(&[repeated.join(",").as_str()]), None);
        assert_eq!(state(&["a=1,b=2", "c=3,b=4"]), None);
        // Two keys with the same hash are still two keys.
        assert_eq!(
            state(&["kaytfs=1,ka1rja=2"]).as_deref(),
            Some("kaytfs=1,ka1rja=2")
        );
        assert_eq!(state(&["kaytfs=1,ka1rja=2,kaytfs=3"]), None);
    }
}
