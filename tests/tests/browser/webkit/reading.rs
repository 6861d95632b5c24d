//! How WebKit reads a `Server-Timing` value, as a model: the algorithm `parse` follows
//! (Chromium's) with each of WebKit's differences a switch. With no switch on the model reads
//! as `parse`; with every switch on, as WebKitGTK; the tests check both.

use server_timing_runtime::ParsedMetric;

use crate::support::header_values::latin1;

/// One way WebKit's reading differs from `parse`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Difference {
    /// After a metric name, a character other than `;` or `,` ends the value: WebKit keeps
    /// the entries before, and this one without parameters (`a/x;dur=1, b` is `a` alone,
    /// where `parse` skips `/x` and reads `a` with `dur` 1, then `b`; and
    /// `metric==   ""foo;dur=123.4` is `metric` with no `dur`).
    StopsAfterName,
    /// Names and parameter names are RFC 9110 tokens: `{` and `}`, which Chromium takes into
    /// a token, are not, so reading stops there as where no name can be read (`a, {b}, c` is
    /// `a` alone, `{a}` nothing).
    RfcTokens,
    /// `dur` is the number at the start of its value, after leading whitespace (`1e`, `5x`
    /// and a quoted `" 2.5 "` read 1, 5 and 2.5), where `parse` wants the whole value to be a
    /// number and reads 0 otherwise.
    NumberPrefix,
    /// Each header byte that is not part of valid UTF-8 reaches WebKit as U+FFFD's three
    /// UTF-8 bytes (so WebKitGTK's HTTP stack passes it on), each then read as ISO-8859-1
    /// (`\xe9` is `ï¿½`, `\xe9\x80` twice that, where `parse_headers` gives `é` and
    /// `é\u{80}`); valid UTF-8 is read byte for byte, as `parse_headers` reads it.
    Utf8Replaced,
}

/// Every difference, in the order the tests report them.
pub const ALL: [Difference; 4] = [
    Difference::StopsAfterName,
    Difference::RfcTokens,
    Difference::NumberPrefix,
    Difference::Utf8Replaced,
];

/// What a browser with the differences `with` reads in `fields`, the fields of one
/// response, joined with `", "` as browsers join them.
pub fn read(fields: &[Vec<u8>], with: &[Difference]) -> Vec<ParsedMetric> {
    let joined = fields.join(&b", "[..]);
    let bytes = if with.contains(&Difference::Utf8Replaced) {
        utf8_replaced(&joined)
    } else {
        joined
    };
    Reader {
        bytes: &bytes,
        pos: 0,
        with,
    }
    .metrics()
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    with: &'a [Difference],
}

impl Reader<'_> {
    fn has(&self, difference: Difference) -> bool {
        self.with.contains(&difference)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn consume(&mut self, delimiter: u8) -> bool {
        if self.peek() != Some(delimiter) {
            return false;
        }
        self.pos += 1;
        self.skip_whitespace();
        true
    }

    fn is_token(&self, byte: u8) -> bool {
        let chromium = (0x21..0x80).contains(&byte) && !b";\"()<>@,:\\/[]?=".contains(&byte);
        chromium && !(self.has(Difference::RfcTokens) && matches!(byte, b'{' | b'}'))
    }

    fn token(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(|b| self.is_token(b)) {
            self.pos += 1;
        }
        if start == self.pos {
            return None;
        }
        let token = latin1(&self.bytes[start..self.pos]);
        self.skip_whitespace();
        Some(token)
    }

    /// A quoted-string, unescaped; unterminated, the rest of the input and `None`.
    fn quoted(&mut self) -> Option<String> {
        let mut out = Vec::new();
        let mut at = self.pos + 1;
        while let Some(&byte) = self.bytes.get(at) {
            match byte {
                b'"' => {
                    self.pos = at + 1;
                    self.skip_whitespace();
                    return Some(latin1(&out));
                }
                b'\\' => {
                    out.extend(self.bytes.get(at + 1));
                    at += 2;
                }
                _ => {
                    out.push(byte);
                    at += 1;
                }
            }
        }
        self.pos = self.bytes.len();
        None
    }

    fn value(&mut self) -> String {
        match self.peek() {
            None => String::new(),
            Some(b'"') => self.quoted().unwrap_or_default(),
            Some(_) => self.token().unwrap_or_default(),
        }
    }

    fn skip_extraneous(&mut self) {
        while self.peek().is_some_and(|b| b != b';' && b != b',') {
            self.pos += 1;
        }
    }

    fn metrics(mut self) -> Vec<ParsedMetric> {
        let mut metrics = Vec::new();
        self.skip_whitespace();
        while self.pos < self.bytes.len() {
            let Some(name) = self.token() else {
                break;
            };
            if !self.has(Difference::StopsAfterName) {
                self.skip_extraneous();
            }
            let mut duration = None;
            let mut description = None;
            while self.consume(b';') {
                let Some(param) = self.token() else {
                    break;
                };
                let value = if self.consume(b'=') {
                    let value = self.value();
                    self.skip_extraneous();
                    value
                } else {
                    String::new()
                };
                if param.eq_ignore_ascii_case("dur") {
                    if duration.is_none() {
                        duration = Some(self.number(&value));
                    }
                } else if param.eq_ignore_ascii_case("desc") && description.is_none() {
                    description = Some(value);
                }
            }
            metrics.push(ParsedMetric {
                name,
                duration: duration.unwrap_or(0.0),
                description: description.unwrap_or_default(),
            });
            if !self.consume(b',') {
                break;
            }
        }
        metrics
    }

    /// A `dur`: after leading ASCII whitespace, `[+-]` digits `[.digits]` `[e[+-]digits]`
    /// (either side of the point may be empty, not both). `parse` wants the whole rest to be
    /// that; with [`Difference::NumberPrefix`] the longest start that is counts. Else 0.
    fn number(&self, value: &str) -> f64 {
        let rest = value.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
        let bytes = rest.as_bytes();
        let digits = |from: usize| from + bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
        let sign = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
        let whole = digits(sign);
        let mut end = whole;
        if bytes.get(end) == Some(&b'.') {
            end = digits(end + 1);
        }
        if end == sign || (end == sign + 1 && whole == sign) {
            return 0.0;
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            let exponent = end + 1 + usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
            let after = digits(exponent);
            if after > exponent {
                end = after;
            }
        }
        if end < bytes.len() && !self.has(Difference::NumberPrefix) {
            return 0.0;
        }
        rest[..end].parse().unwrap_or(0.0)
    }
}

/// `bytes` with each byte that is not part of valid UTF-8 replaced by U+FFFD, one for one.
fn utf8_replaced(mut bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                out.extend_from_slice(valid.as_bytes());
                return out;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                out.extend_from_slice(valid);
                out.extend_from_slice("\u{fffd}".as_bytes());
                bytes = &rest[1..];
            }
        }
    }
}
