//! Browser-exact parsing of `Server-Timing` values.
//!
//! A hand-written scanner over bytes following Chromium's `ParseServerTimingHeader` (over its
//! `HeaderFieldTokenizer`) and Blink's `StringToDouble`: it allocates the output and nothing
//! else, except for a quoted `dur` with backslash escapes (which no real server writes) and,
//! in [`parse_headers`], one buffer joining several fields.

use std::ops::Range;

use http::HeaderMap;

use crate::header::names::SERVER_TIMING;

/// One entry of a parsed `Server-Timing` value, as a browser exposes it in
/// `PerformanceServerTiming`.
///
/// ```
/// use server_timing_runtime::{parse, ParsedMetric};
///
/// let metrics = parse(r#"db;dur=53.2;desc="Primary DB""#);
/// assert_eq!(
///     metrics,
///     [ParsedMetric { name: "db".into(), duration: 53.2, description: "Primary DB".into() }]
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedMetric {
    /// The metric's name.
    pub name: String,
    /// `dur`, in milliseconds; 0 when absent or invalid.
    pub duration: f64,
    /// `desc`; empty when absent.
    pub description: String,
}

/// Parse one `Server-Timing` value exactly as browsers do: the W3C "parse a server-timing
/// header field" algorithm as Chromium implements it (see [Which browser](#which-browser)).
/// Nothing is rejected; malformed parts are skipped or read as 0 and empty:
///
/// - a metric is a token; characters after it up to the first `;` or the next `,` are skipped;
/// - parameters are `;name`, `;name=token` or `;name="quoted \"string\""`; names are
///   case-insensitive, only `dur` and `desc` mean something, and the first of each wins, even
///   when its value is empty or invalid;
/// - after a value, characters up to the next `;` or `,` are skipped;
/// - `dur` is read as browsers read a number: the whole value must be one (leading whitespace
///   allowed, a sign, `.5`, `1e3`), or it is 0; too large, it is infinity;
/// - where no metric name can be read, parsing stops: what was read so far is the result.
///
/// Tokens are Chromium's: visible ASCII except `;"(),/:<=>?@[\]`, so `{`, `}` and DEL are
/// accepted where RFC 9110 would not.
///
/// Characters are kept as given, so a `&str` holding non-ASCII text gives it back; Chromium,
/// which decodes header bytes as ISO-8859-1, sees such text as it would
/// [`parse_headers`] decode it.
///
/// ```
/// use server_timing_runtime::parse;
///
/// let metrics = parse(r#"cdn-cache;desc=HIT, edge;dur=12.5, origin;DUR="1e2";dur=7;desc="say \"hi\"""#);
/// let read: Vec<_> = metrics
///     .iter()
///     .map(|m| (m.name.as_str(), m.duration, m.description.as_str()))
///     .collect();
/// assert_eq!(
///     read,
///     [("cdn-cache", 0.0, "HIT"), ("edge", 12.5, ""), ("origin", 100.0, r#"say "hi""#)]
/// );
/// assert!(parse("=").is_empty());
/// ```
///
/// # Which browser
///
/// `parse` reads exactly as Chromium does (and so DevTools there, and the RUM scripts that
/// read `serverTiming` in it): most users' browsers read as it does, and its reading is the
/// one the W3C algorithm's tests pin down. On malformed input the other engines differ, as
/// listed below. None of this touches what the toolkit writes (ASCII tokens and quoted
/// strings, no broken entry), which all three engines read exactly as `parse` does; the
/// browser tests check that, and each difference below, in Chromium, Firefox ESR and
/// WebKitGTK.
///
/// Firefox (Gecko):
///
/// - where no metric name can be read (`a, =x, b`, `a, "q", b`, `a,, b`), Chromium stops and
///   exposes what it read so far (`a`); Firefox skips the broken entry and reads on (`a`,
///   `b`), and takes a name from what follows a stray `;` (`a, ;dur=3, b` gives `a`, `dur`,
///   `b`);
/// - it reads a quoted string inside skipped junk as one (so a `,` in it separates nothing);
/// - it decodes non-ASCII header bytes as UTF-8 where Chromium (and [`parse_headers`]) read
///   ISO-8859-1.
///
/// WebKit (WebKitGTK 2.50 checked; the engine of Safari and of every browser on an iPhone):
///
/// - after a metric name, a character other than `;` or `,` ends the value: the entries
///   before it are kept, and this one without its parameters. `a/x;dur=1, b` is `a` alone,
///   where `parse` skips `/x` and reads `a` with `dur` 1, then `b`. Of the browser parsing
///   suite's 85 cases, `metric==   ""foo;dur=123.4` is `metric` with no `dur`, and
///   `metric1==   ""foo,metric2` is `metric1` alone; the other 83 read alike;
/// - `{` and `}` are not token characters, so reading stops there, as it does where no name
///   can be read: `a, {b}, c` is `a`, and `{a}` is nothing;
/// - `dur` is the number at the start of its value, after leading whitespace: `1e`, `5x` and
///   a quoted `" 2.5 "` read 1, 5 and 2.5, where `parse` reads 0 (`1e3` and `" 2.5"` read
///   alike);
/// - each header byte that is not part of valid UTF-8 arrives as the three UTF-8 bytes of
///   U+FFFD, each read as ISO-8859-1: `\xe9` is `ï¿½`, where [`parse_headers`] gives `é`
///   (valid UTF-8 reads alike).
pub fn parse(value: &str) -> Vec<ParsedMetric> {
    let mut metrics = Vec::new();
    scan(value, |metric| metrics.push(metric.into()));
    metrics
}

/// Parse every `Server-Timing` field of `headers`, in order, as a browser does.
///
/// Browsers join a response's `Server-Timing` fields with `", "` and parse the result as one
/// value, so an unterminated quoted-string or a malformed field affects the fields after it;
/// this does the same. Header bytes are decoded as ISO-8859-1, as browsers do.
///
/// Works with any client that exposes an [`http::HeaderMap`] (reqwest, hyper, axum, and
/// awc's responses through their `http` headers).
///
/// ```
/// use http::{HeaderMap, HeaderValue};
/// use server_timing_runtime::parse_headers;
///
/// let mut headers = HeaderMap::new();
/// headers.append("server-timing", HeaderValue::from_static("cdn;dur=1.5"));
/// headers.append("server-timing", HeaderValue::from_static("origin;dur=20;desc=miss"));
/// let names: Vec<_> = parse_headers(&headers).into_iter().map(|m| m.name).collect();
/// assert_eq!(names, ["cdn", "origin"]);
/// ```
pub fn parse_headers(headers: &HeaderMap) -> Vec<ParsedMetric> {
    let mut metrics = Vec::new();
    scan_headers(headers, |metric| metrics.push(metric.into()));
    metrics
}

/// Calls `each` with every metric of `headers`' `Server-Timing` fields, in order.
pub(crate) fn scan_headers(headers: &HeaderMap, each: impl FnMut(ReadMetric)) {
    let mut fields = headers.get_all(SERVER_TIMING).iter();
    let Some(first) = fields.next() else {
        return;
    };
    let Some(second) = fields.next() else {
        scan(&Latin1(first.as_bytes()), each);
        return;
    };
    let mut joined = Vec::with_capacity(first.len() + 2 + second.len());
    joined.extend_from_slice(first.as_bytes());
    for field in std::iter::once(second).chain(fields) {
        joined.extend_from_slice(b", ");
        joined.extend_from_slice(field.as_bytes());
    }
    scan(&Latin1(&joined), each);
}

/// Where the scanner reads from, and how the bytes it selects become text.
trait Source {
    fn bytes(&self) -> &[u8];
    /// Append `range` (whose ends lie before or just after ASCII bytes) to `out`.
    fn push(&self, range: Range<usize>, out: &mut String);
}

impl Source for str {
    fn bytes(&self) -> &[u8] {
        self.as_bytes()
    }

    fn push(&self, range: Range<usize>, out: &mut String) {
        // Every range ends next to an ASCII delimiter, so it is on character boundaries.
        out.push_str(self.get(range).unwrap_or_default());
    }
}

/// Header bytes, which browsers decode as ISO-8859-1.
struct Latin1<'a>(&'a [u8]);

impl Source for Latin1<'_> {
    fn bytes(&self) -> &[u8] {
        self.0
    }

    fn push(&self, range: Range<usize>, out: &mut String) {
        let bytes = self.0.get(range).unwrap_or_default();
        match std::str::from_utf8(bytes) {
            Ok(ascii) if bytes.is_ascii() => out.push_str(ascii),
            _ => out.extend(bytes.iter().map(|&b| char::from(b))),
        }
    }
}

/// A parameter's value, located but not yet copied: most values are never needed.
enum Value {
    Empty,
    Token(Range<usize>),
    /// The content between the quotes; `escaped` if it holds a backslash.
    Quoted {
        content: Range<usize>,
        escaped: bool,
    },
}

/// Chromium's token characters: visible ASCII (and DEL) except `;"(),/:<=>?@[\]` and space.
/// Wider than RFC 9110 (`{`, `}` and DEL are accepted), which is what browsers read.
const TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0x21;
    while byte < 0x80 {
        table[byte] = !matches!(
            byte as u8,
            b';' | b'"'
                | b'('
                | b')'
                | b'<'
                | b'>'
                | b'@'
                | b','
                | b':'
                | b'\\'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'='
        );
        byte += 1;
    }
    table
};

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let mut scanner = Scanner { bytes, pos: 0 };
        scanner.skip_whitespace();
        scanner
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Consume `delimiter` and the whitespace after it.
    fn consume(&mut self, delimiter: u8) -> bool {
        if self.peek() != Some(delimiter) {
            return false;
        }
        self.pos += 1;
        self.skip_whitespace();
        true
    }

    /// A token and the whitespace after it.
    fn token(&mut self) -> Option<Range<usize>> {
        let start = self.pos;
        while self.peek().is_some_and(|b| TOKEN[usize::from(b)]) {
            self.pos += 1;
        }
        if start == self.pos {
            return None;
        }
        let token = start..self.pos;
        self.skip_whitespace();
        Some(token)
    }

    /// A quoted-string starting at the current `"`, and the whitespace after it. Unterminated
    /// (also by a lone trailing backslash), it consumes the rest of the input and is `None`.
    fn quoted(&mut self) -> Option<Value> {
        let start = self.pos + 1;
        let mut at = start;
        let mut escaped = false;
        while let Some(&byte) = self.bytes.get(at) {
            match byte {
                b'"' => {
                    self.pos = at + 1;
                    self.skip_whitespace();
                    return Some(Value::Quoted {
                        content: start..at,
                        escaped,
                    });
                }
                b'\\' => {
                    escaped = true;
                    at += 2;
                }
                _ => at += 1,
            }
        }
        self.pos = self.bytes.len();
        None
    }

    /// The value after `=`: a quoted-string, a token, or (neither) empty.
    fn value(&mut self) -> Value {
        match self.peek() {
            None => Value::Empty,
            Some(b'"') => self.quoted().unwrap_or(Value::Empty),
            Some(_) => self.token().map_or(Value::Empty, Value::Token),
        }
    }

    /// Skip anything up to the next `;` or `,`.
    fn skip_extraneous(&mut self) {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        self.pos += rest
            .iter()
            .position(|&b| b == b';' || b == b',')
            .unwrap_or(rest.len());
    }
}

/// One entry as read, telling whether it had a `dur` parameter at all (a browser reads a
/// missing one as 0).
pub(crate) struct ReadMetric {
    pub(crate) name: String,
    pub(crate) duration: Option<f64>,
    pub(crate) description: String,
}

impl From<ReadMetric> for ParsedMetric {
    fn from(read: ReadMetric) -> Self {
        ParsedMetric {
            name: read.name,
            duration: read.duration.unwrap_or(0.0),
            description: read.description,
        }
    }
}

fn scan<S: Source + ?Sized>(source: &S, mut each: impl FnMut(ReadMetric)) {
    let bytes = source.bytes();
    let mut scanner = Scanner::new(bytes);
    while !scanner.at_end() {
        let Some(name) = scanner.token() else {
            break;
        };
        scanner.skip_extraneous();
        let mut duration = None;
        let mut description = None;
        while scanner.consume(b';') {
            let Some(param) = scanner.token() else {
                break;
            };
            let value = if scanner.consume(b'=') {
                let value = scanner.value();
                scanner.skip_extraneous();
                value
            } else {
                Value::Empty
            };
            let param = bytes.get(param).unwrap_or_default();
            if param.eq_ignore_ascii_case(b"dur") {
                if duration.is_none() {
                    duration = Some(number(source, &value));
                }
            } else if param.eq_ignore_ascii_case(b"desc") && description.is_none() {
                description = Some(text(source, &value));
            }
        }
        let mut name_text = String::with_capacity(name.len());
        source.push(name, &mut name_text);
        each(ReadMetric {
            name: name_text,
            duration,
            description: description.unwrap_or_default(),
        });
        if !scanner.consume(b',') {
            break;
        }
    }
}

fn text<S: Source + ?Sized>(source: &S, value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Empty => {}
        Value::Token(range)
        | Value::Quoted {
            content: range,
            escaped: false,
        } => {
            out.reserve(range.len());
            source.push(range.clone(), &mut out);
        }
        Value::Quoted {
            content,
            escaped: true,
        } => {
            out.reserve(content.len());
            let bytes = source.bytes();
            let mut from = content.start;
            let mut at = content.start;
            while at < content.end {
                if bytes.get(at) == Some(&b'\\') {
                    source.push(from..at, &mut out);
                    // The escaped byte is kept as it is, whatever it is.
                    from = at + 1;
                    at += 2;
                } else {
                    at += 1;
                }
            }
            source.push(from..content.end, &mut out);
        }
    }
    out
}

fn number<S: Source + ?Sized>(source: &S, value: &Value) -> f64 {
    let bytes = source.bytes();
    match value {
        Value::Empty => 0.0,
        Value::Token(range)
        | Value::Quoted {
            content: range,
            escaped: false,
        } => parse_number(bytes.get(range.clone()).unwrap_or_default()),
        Value::Quoted { escaped: true, .. } => parse_number(text(source, value).as_bytes()),
    }
}

/// A number as Blink's `StringToDouble` reads it: leading ASCII whitespace, then the whole
/// rest must be `[+-]` digits `[.digits]` `[e[+-]digits]` (either side of the point may be
/// empty, not both); anything else, including `Infinity` and `NaN`, is 0. Overflow gives
/// infinity, as in browsers.
fn parse_number(bytes: &[u8]) -> f64 {
    let start = bytes
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .unwrap_or(bytes.len());
    let number = bytes.get(start..).unwrap_or_default();
    let unsigned = match number.first() {
        Some(b'+' | b'-') => number.get(1..).unwrap_or_default(),
        _ => number,
    };
    // Rust's grammar is Blink's plus `inf`, `infinity` and `nan`, which start with a letter.
    if !unsigned.first().is_some_and(|b| b.is_ascii_digit() || *b == b'.') {
        return 0.0;
    }
    std::str::from_utf8(number)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn durations(values: &[&str]) -> Vec<f64> {
        values.iter().map(|v| parse_number(v.as_bytes())).collect()
    }

    #[test]
    fn numbers_follow_blink() {
        assert_eq!(
            durations(&["+1.5", ".5", "5.", "1e3", "1E-3", " \t\n12", "-2", "007"]),
            [1.5, 0.5, 5.0, 1000.0, 0.001, 12.0, -2.0, 7.0]
        );
        assert_eq!(
            durations(&[
                "",
                ".",
                "+",
                "1e",
                "1e+",
                "12 ",
                "1x",
                "0x10",
                "inf",
                "-Infinity",
                "NaN",
                "+ 1",
                "1_0"
            ]),
            [0.0; 13]
        );
        assert_eq!(parse_number(b"1e400"), f64::INFINITY);
    }

    #[test]
    fn quoted_durations_are_unescaped_first() {
        assert_eq!(parse(r#"a;dur="1\2.5""#)[0].duration, 12.5);
        assert_eq!(parse(r#"a;dur=" 7""#)[0].duration, 7.0);
    }

    #[test]
    fn braces_and_del_are_token_characters_as_in_chromium() {
        assert_eq!(parse("{a}\u{7f};desc={b}")[0].name, "{a}\u{7f}");
        assert_eq!(parse("{a}\u{7f};desc={b}")[0].description, "{b}");
    }

    #[test]
    fn non_ascii_text_is_kept_from_str_and_decoded_as_latin1_from_headers() {
        let value = "db;desc=\"caf\u{e9} \\\u{e9}\"";
        assert_eq!(parse(value)[0].description, "caf\u{e9} \u{e9}");
        let mut headers = HeaderMap::new();
        headers.append(
            SERVER_TIMING,
            http::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
        assert_eq!(
            parse_headers(&headers)[0].description,
            "caf\u{c3}\u{a9} \u{c3}\u{a9}"
        );
    }

    #[test]
    fn fields_are_parsed_joined_as_browsers_do() {
        let headers = |fields: &[&'static str]| {
            let mut map = HeaderMap::new();
            for field in fields {
                map.append(SERVER_TIMING, http::HeaderValue::from_static(field));
            }
            parse_headers(&map)
                .into_iter()
                .map(|m| (m.name, m.description))
                .collect::<Vec<_>>()
        };
        let named = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(n, d)| ((*n).to_owned(), (*d).to_owned()))
                .collect::<Vec<_>>()
        };
        assert_eq!(headers(&[]), named(&[]));
        assert_eq!(
            headers(&["a", "b", "c"]),
            named(&[("a", ""), ("b", ""), ("c", "")])
        );
        // The quoted-string runs on into the next field, as in "a;desc=\"x, b;desc=y\"".
        assert_eq!(
            headers(&["a;desc=\"x", "b;desc=y\"", "c"]),
            named(&[("a", "x, b;desc=y"), ("c", "")])
        );
        // A field where no name can be read ends the parse, for the fields after it too.
        assert_eq!(headers(&["a", "=", "c"]), named(&[("a", "")]));
        assert_eq!(headers(&["a", "", "c"]), named(&[("a", "")]));
    }
}
