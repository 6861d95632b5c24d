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
pub(crate) const TRACEPARENT_LEN: usize = 55;

/// The W3C trace-context request headers, read on the way in and sent on outgoing calls,
/// spelled once for every `http` version's header names.
pub(crate) const TRACEPARENT_NAME: &str = "traceparent";
pub(crate) const TRACESTATE_NAME: &str = "tracestate";

/// The same as `http` header names. Statics, borrowed by every lookup: a `const` would build
/// a name and drop it again on each request.
pub(crate) static TRACEPARENT: HeaderName = HeaderName::from_static(TRACEPARENT_NAME);
pub(crate) static TRACESTATE: HeaderName = HeaderName::from_static(TRACESTATE_NAME);

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
    trace_id: [u8; 16],
    parent_id: [u8; 8],
    flags: u8,
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
        Some(TraceParent {
            trace_id,
            parent_id,
            flags,
        })
    }

    /// The trace id: the whole distributed trace this request is part of.
    ///
    /// ```
    /// let parent = server_timing_runtime::TraceParent::new([7; 16], [9; 8], 0).unwrap();
    /// assert_eq!(parent.trace_id(), [7; 16]);
    /// ```
    pub const fn trace_id(&self) -> [u8; 16] {
        self.trace_id
    }

    /// The parent id: the span that the next hop (the browser, a downstream service) reports
    /// as its parent.
    ///
    /// ```
    /// let parent = server_timing_runtime::TraceParent::new([7; 16], [9; 8], 0).unwrap();
    /// assert_eq!(parent.parent_id(), [9; 8]);
    /// ```
    pub const fn parent_id(&self) -> [u8; 8] {
        self.parent_id
    }

    /// The trace flags, all 8 bits.
    ///
    /// ```
    /// let parent = server_timing_runtime::TraceParent::new([7; 16], [9; 8], 0x03).unwrap();
    /// assert_eq!(parent.flags(), 0x03);
    /// ```
    pub const fn flags(&self) -> u8 {
        self.flags
    }

    /// Whether the `sampled` flag is set: the caller may have recorded this trace.
    ///
    /// ```
    /// let parent = server_timing_runtime::TraceParent::new([7; 16], [9; 8], 0x01).unwrap();
    /// assert!(parent.sampled());
    /// ```
    pub const fn sampled(&self) -> bool {
        self.flags & SAMPLED != 0
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
        HeaderValue::from_bytes(&self.encode()).unwrap_or_else(|_| HeaderValue::from_static("00"))
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
        TraceParent {
            trace_id: self.trace_id,
            parent_id: random_parent_id(),
            flags: self.flags & SAMPLED,
        }
    }

    /// A new trace: random ids.
    pub(crate) fn fresh(sampled: bool) -> TraceParent {
        let mut trace_id = 0;
        while trace_id == 0 {
            trace_id = (u128::from(next_random()) << 64) | u128::from(next_random());
        }
        TraceParent {
            trace_id: trace_id.to_be_bytes(),
            parent_id: random_parent_id(),
            flags: if sampled { SAMPLED } else { 0 },
        }
    }

    /// The printed form, written without `core::fmt`: it goes into every response's header.
    pub(crate) fn encode(&self) -> [u8; TRACEPARENT_LEN] {
        let mut out = [b'-'; TRACEPARENT_LEN];
        out[0] = b'0';
        out[1] = b'0';
        put_hex(&mut out[3..35], &self.trace_id);
        put_hex(&mut out[36..52], &self.parent_id);
        put_hex(&mut out[53..55], &[self.flags]);
        out
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let encoded = self.encode();
        // Hex digits and dashes only.
        f.write_str(std::str::from_utf8(&encoded).map_err(|_| fmt::Error)?)
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
    /// [`FromStr`] on bytes, as header values come.
    pub(crate) fn parse(value: &[u8]) -> Result<TraceParent, ParseTraceParentError> {
        use ParseTraceParentError as E;
        if value.len() != TRACEPARENT_LEN {
            return Err(E(Invalid::Length));
        }
        if value[2] != b'-' || value[35] != b'-' || value[52] != b'-' {
            return Err(E(Invalid::Separator));
        }
        let [version] = hex(&value[0..2])?;
        if version != 0 {
            return Err(E(Invalid::Version));
        }
        let trace_id = hex(&value[3..35])?;
        let parent_id = hex(&value[36..52])?;
        let [flags] = hex(&value[53..55])?;
        TraceParent::new(trace_id, parent_id, flags).ok_or(E(Invalid::ZeroId))
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

/// The `N` bytes the lowercase hex `text` (`2 * N` digits) spells.
fn hex<const N: usize>(text: &[u8]) -> Result<[u8; N], ParseTraceParentError> {
    // Arithmetic rather than a table, with the check folded over every digit and tested once:
    // the loop then has no branch and no lookup, and the compiler runs it on whole vectors
    // of digits. This runs on every traced request.
    let text = &text[..2 * N];
    let mut bytes = [0; N];
    let mut valid = true;
    for (i, byte) in bytes.iter_mut().enumerate() {
        let (high, low) = (text[2 * i], text[2 * i + 1]);
        valid &= is_lower_hex(high) & is_lower_hex(low);
        *byte = (nibble(high) << 4) | nibble(low);
    }
    if !valid {
        return Err(ParseTraceParentError(Invalid::Hex));
    }
    Ok(bytes)
}

#[inline(always)]
fn is_lower_hex(c: u8) -> bool {
    c.wrapping_sub(b'0') < 10 || c.wrapping_sub(b'a') < 6
}

/// The value of a lowercase hex digit (of anything else, something meaningless): `0`-`9` are
/// 0x30-0x39, `a`-`f` 0x61-0x66, told apart by bit 6.
#[inline(always)]
fn nibble(c: u8) -> u8 {
    (c & 0x0f) + 9 * (c >> 6)
}

/// `bytes` as lowercase hex into `to`, twice as long.
fn put_hex(to: &mut [u8], bytes: &[u8]) {
    for (pair, byte) in to.chunks_exact_mut(2).zip(bytes) {
        pair[0] = digit(byte >> 4);
        pair[1] = digit(byte & 0xf);
    }
}

/// The lowercase hex digit of `n` (below 16), without a branch or a lookup (see `hex`).
#[inline(always)]
fn digit(n: u8) -> u8 {
    b'0' + n + 39 * u8::from(n > 9)
}

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
    // in one pass over its bytes, and repeated keys are looked for only in what is written so
    // far, which for a single member (the usual case) is nothing.
    let mut out = String::new();
    let mut members = 0;
    for field in fields {
        if field.len() > MAX_TRACESTATE_LEN * 2 {
            return None;
        }
        out.reserve(field.len());
        for member in field.split(|&c| c == b',') {
            let member = trim(member);
            if member.is_empty() {
                continue;
            }
            let (member, key) = list_member(member)?;
            if members == MAX_MEMBERS || has_key(&out, key) {
                return None;
            }
            members += 1;
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(member);
            if out.len() > MAX_TRACESTATE_LEN {
                return None;
            }
        }
    }
    (!out.is_empty()).then(|| out.into_boxed_str())
}

/// `value` without leading and trailing spaces and tabs (the specification's `OWS`).
pub(crate) fn trim(value: &[u8]) -> &[u8] {
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let start = value.iter().position(|c| !blank(c)).unwrap_or(value.len());
    let end = value.iter().rposition(|c| !blank(c)).map_or(start, |end| end + 1);
    &value[start..end]
}

/// Whether the `,`-joined members `written` have this key.
fn has_key(written: &str, key: &str) -> bool {
    !written.is_empty()
        && written
            .split(',')
            .any(|member| member.strip_prefix(key).is_some_and(|rest| rest.starts_with('=')))
}

/// A `key=value` list member, checked in one pass: as text, with its key. The key is a
/// `simple-key` or `tenant-id "@" system-id`; the value up to 256 printable ASCII characters
/// but `,` and `=`, not ending in a space.
fn list_member(member: &[u8]) -> Option<(&str, &str)> {
    let equals = member.iter().position(|&c| c == b'=')?;
    let (key, value) = (&member[..equals], &member[equals + 1..]);
    let key_valid = match key.iter().position(|&c| c == b'@') {
        None => key.len() <= 256 && key.first().is_some_and(u8::is_ascii_lowercase) && all(key, KEY_CHAR),
        Some(at) => {
            let (tenant, system) = (&key[..at], &key[at + 1..]);
            (1..=241).contains(&tenant.len())
                && matches!(tenant[0], b'a'..=b'z' | b'0'..=b'9')
                && all(tenant, KEY_CHAR)
                && (1..=14).contains(&system.len())
                && system[0].is_ascii_lowercase()
                && all(system, KEY_CHAR)
        }
    };
    let value_valid =
        (1..=256).contains(&value.len()) && value.last() != Some(&b' ') && all(value, VALUE_CHAR);
    if !(key_valid && value_valid) {
        return None;
    }
    // Printable ASCII only, checked above.
    let text = std::str::from_utf8(member).ok()?;
    Some((text, &text[..equals]))
}

/// Whether every byte is of `class` in [`CLASS`].
fn all(bytes: &[u8], class: u8) -> bool {
    bytes.iter().all(|&c| CLASS[usize::from(c)] & class != 0)
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
        assert_ne!(a.trace_id, b.trace_id);
        assert_ne!(a.parent_id, b.parent_id);
        assert_eq!(a.to_string().parse::<TraceParent>(), Ok(a));
        assert!(a.sampled());
        assert!(!TraceParent::fresh(false).sampled());
    }

    #[test]
    fn a_child_keeps_the_trace_and_only_the_sampled_flag() {
        let parent = TraceParent::new([3; 16], [4; 8], 0xff).unwrap();
        let child = parent.child();
        assert_eq!(child.trace_id, parent.trace_id);
        assert_ne!(child.parent_id, parent.parent_id);
        assert_eq!(child.flags, 0x01);
        assert_eq!(TraceParent::new([3; 16], [4; 8], 0x02).unwrap().child().flags, 0);
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
    }
}
