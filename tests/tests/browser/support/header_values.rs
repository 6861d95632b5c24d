//! A seeded, deterministic generator of `Server-Timing` header values: mixes of tokens,
//! quoted strings, escapes, separators, whitespace, odd numbers and plain garbage; the
//! responses every engine is served from it, and what `parse` reads in them.
//!
//! Each value has a noise level: at 0 it is well formed (what a careful server writes), and
//! the higher the level, the more often a choice goes to something malformed (a missing `=`,
//! junk after a name, an unterminated quote, a number browsers reject, non-ASCII bytes), so
//! that both the common path and the error paths of a parser are exercised.

use server_timing_runtime::{ParsedMetric, SERVER_TIMING, parse, parse_headers};

/// The generator's seed for every engine: the same values on every run and in every engine,
/// so a disagreement can be replayed.
pub const SEED: u64 = 0x5345_5256_4552_5449;

/// How many generated values an engine reads, each as a response's only `Server-Timing` field.
pub const GENERATED_VALUES: usize = 400;

/// How many responses carry two generated fields, which browsers join with `", "` before
/// parsing (so an unterminated quote in the first runs on into the second), as
/// `parse_headers` does.
pub const GENERATED_PAIRS: usize = 100;

/// [`GENERATED_VALUES`] responses of one generated field, then [`GENERATED_PAIRS`] of two,
/// drawn from [`SEED`]: each response's `Server-Timing` fields, in order.
pub fn generated_responses() -> Vec<Vec<Vec<u8>>> {
    let mut generator = HeaderValues::new(SEED);
    let mut responses: Vec<Vec<Vec<u8>>> = (0..GENERATED_VALUES).map(|_| vec![generator.value()]).collect();
    responses.extend((0..GENERATED_PAIRS).map(|_| vec![generator.value(), generator.value()]));
    responses
}

/// What `parse` reads for one response's `fields`: a lone field decoded as a browser decodes
/// header bytes, several as `parse_headers` reads them.
pub fn parse_fields(fields: &[Vec<u8>]) -> Vec<ParsedMetric> {
    match fields {
        [value] => parse(&latin1(value)),
        _ => {
            let mut headers = http::HeaderMap::new();
            for field in fields {
                let field =
                    http::HeaderValue::from_bytes(field).unwrap_or_else(|e| panic!("{}: {e}", shown(field)));
                headers.append(SERVER_TIMING, field);
            }
            parse_headers(&headers)
        }
    }
}

/// Percent chance, per choice, of a malformed alternative; one level is drawn per value.
const NOISE_LEVELS: &[usize] = &[0, 0, 3, 10, 25, 50];

const TOKEN_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";

/// Characters that are not token characters but may stand in a field value.
const DELIMITERS: &[u8] = b"\"(),/:;<=>?@[\\]{} \t";

/// Non-ASCII bytes (obs-text), which browsers read as ISO-8859-1; some pairs are also
/// UTF-8 (`C3 A9` is "é").
const OBS_TEXT: &[&[u8]] = &[b"\xe9", b"\xc3\xa9", b"\xff", b"\x80", b"\xa0"];

/// Parameter names as servers write them (names are case-insensitive).
const PARAMS: &[&str] = &["dur", "dur", "dur", "desc", "desc", "desc", "DUR", "Desc"];

/// Parameter names that are not `dur` or `desc`, or only nearly.
const ODD_PARAMS: &[&str] = &["du", "durr", "descr", "d", "x", "total", "dUr", "DESC", "dur "];

/// Numbers a browser may or may not accept as a `dur`.
const ODD_NUMBERS: &[&str] = &[
    ".5",
    "5.",
    "1e3",
    "1E-3",
    "1e+2",
    "-2",
    "+1.5",
    "007",
    "0.000001",
    "1e400",
    "-1e400",
    "1e-400",
    "0x10",
    "1_0",
    "Infinity",
    "-Infinity",
    "NaN",
    "inf",
    ".",
    "+",
    "-",
    "1e",
    "1e+",
    "1x",
    "12 3",
    "1.2.3",
    "99999999999999999999",
    "\u{661}",
];

const SEPARATORS: &[&str] = &[" ,", " , ", ",,", ", ,", ",\t", "\t,\t", ",  "];

const WHITESPACE: &[&str] = &[" ", "\t", "  ", " \t "];

/// SplitMix64 for the choices: tiny, and the same sequence on every machine for a seed.
pub struct HeaderValues {
    state: u64,
    noise: usize,
}

impl HeaderValues {
    pub fn new(seed: u64) -> Self {
        HeaderValues {
            state: seed,
            noise: 0,
        }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// Whether this choice goes to something malformed.
    fn noisy(&mut self) -> bool {
        self.chance(self.noise)
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }

    fn pick_byte(&mut self, bytes: &[u8]) -> u8 {
        bytes[self.below(bytes.len())]
    }

    /// The next value: bytes that may stand in an HTTP field value (no CR, LF, NUL or
    /// other control but TAB), without whitespace at either end, which HTTP strips.
    pub fn value(&mut self) -> Vec<u8> {
        self.noise = NOISE_LEVELS[self.below(NOISE_LEVELS.len())];
        let mut out = if self.chance(8) {
            self.garbage()
        } else {
            self.metrics()
        };
        while out.last().is_some_and(|b| matches!(b, b' ' | b'\t')) {
            out.pop();
        }
        let start = out.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
        out.drain(..start);
        out
    }

    fn whitespace(&mut self, out: &mut Vec<u8>) {
        if self.noisy() {
            out.extend_from_slice(self.pick(WHITESPACE).as_bytes());
        }
    }

    fn metrics(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let count = 1 + self.below(4);
        for i in 0..count {
            if i > 0 {
                let separator = if self.noisy() {
                    self.pick(SEPARATORS)
                } else {
                    self.pick(&[",", ", "])
                };
                out.extend_from_slice(separator.as_bytes());
            }
            self.metric(&mut out);
        }
        if self.noisy() {
            out.extend_from_slice(self.pick(SEPARATORS).as_bytes());
        }
        out
    }

    fn metric(&mut self, out: &mut Vec<u8>) {
        if self.noisy() {
            match self.below(4) {
                0 => {}
                1 => self.quoted(out),
                2 => out.push(b'='),
                _ => {
                    self.token(out);
                    out.extend_from_slice(self.pick(OBS_TEXT));
                }
            }
        } else {
            self.token(out);
        }
        if self.noisy() {
            self.junk(out);
        }
        let params = self.below(4);
        for _ in 0..params {
            self.param(out);
        }
    }

    fn param(&mut self, out: &mut Vec<u8>) {
        self.whitespace(out);
        out.push(b';');
        self.whitespace(out);
        let name = if self.noisy() {
            match self.below(4) {
                0 => "",
                1 => {
                    self.quoted(out);
                    ""
                }
                _ => self.pick(ODD_PARAMS),
            }
        } else {
            self.pick(PARAMS)
        };
        out.extend_from_slice(name.as_bytes());
        self.whitespace(out);
        if self.noisy() && self.chance(50) {
            return;
        }
        out.push(b'=');
        self.whitespace(out);
        if name.eq_ignore_ascii_case("dur") {
            self.duration(out);
        } else {
            self.description(out);
        }
        if self.noisy() {
            self.junk(out);
        }
    }

    fn duration(&mut self, out: &mut Vec<u8>) {
        if self.noisy() {
            match self.below(3) {
                0 => self.description(out),
                _ => out.extend_from_slice(self.pick(ODD_NUMBERS).as_bytes()),
            }
            return;
        }
        let quoted = self.chance(10);
        if quoted {
            out.push(b'"');
        }
        let whole = self.next() % 10u64.pow(1 + self.below(5) as u32);
        out.extend_from_slice(whole.to_string().as_bytes());
        if self.chance(70) {
            let digits = 1 + self.below(6);
            out.push(b'.');
            for _ in 0..digits {
                let digit = self.pick_byte(b"0123456789");
                out.push(digit);
            }
        }
        if quoted {
            out.push(b'"');
        }
    }

    fn description(&mut self, out: &mut Vec<u8>) {
        match self.below(3) {
            0 => self.token(out),
            _ => self.quoted(out),
        }
        if self.noisy() {
            out.extend_from_slice(self.pick(OBS_TEXT));
        }
    }

    fn token(&mut self, out: &mut Vec<u8>) {
        let len = 1 + self.below(8);
        for _ in 0..len {
            let byte = self.pick_byte(TOKEN_CHARS);
            out.push(byte);
        }
    }

    /// A quoted-string with escapes, delimiters and non-ASCII inside; when noisy, left
    /// unterminated or ending in a lone backslash.
    fn quoted(&mut self, out: &mut Vec<u8>) {
        out.push(b'"');
        let len = self.below(12);
        for _ in 0..len {
            match self.below(10) {
                0 => {
                    out.push(b'\\');
                    let escaped = self.pick_byte(b"\"\\a,; ");
                    out.push(escaped);
                }
                1 | 2 => {
                    let byte = self.pick_byte(DELIMITERS);
                    // Inside quotes only an escaped quote or backslash is well formed.
                    if matches!(byte, b'"' | b'\\') {
                        out.push(b'\\');
                    }
                    out.push(byte);
                }
                3 => out.extend_from_slice(self.pick(OBS_TEXT)),
                _ => {
                    let byte = self.pick_byte(TOKEN_CHARS);
                    out.push(byte);
                }
            }
        }
        if !self.noisy() {
            out.push(b'"');
        } else if self.chance(50) {
            out.push(b'\\');
        }
    }

    /// Characters after a name or a value that belong to neither.
    fn junk(&mut self, out: &mut Vec<u8>) {
        let len = 1 + self.below(3);
        for _ in 0..len {
            match self.below(4) {
                0 => self.token(out),
                1 => self.quoted(out),
                _ => {
                    let byte = self.pick_byte(DELIMITERS);
                    out.push(byte);
                }
            }
        }
    }

    /// Bytes drawn from the characters that matter to the grammar, in no order at all.
    fn garbage(&mut self) -> Vec<u8> {
        const ALPHABET: &[u8] = b"ad=;,\" \t\\x1.e-{}";
        let len = 1 + self.below(24);
        let mut out = Vec::with_capacity(len);
        for _ in 0..len {
            if self.chance(5) {
                out.extend_from_slice(self.pick(OBS_TEXT));
            } else {
                let byte = self.pick_byte(ALPHABET);
                out.push(byte);
            }
        }
        out
    }
}

/// `bytes` as a browser decodes header bytes: ISO-8859-1, one byte per character.
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// `bytes` printed so that every byte can be told apart: Rust string escapes, with non-ASCII
/// bytes as `\xNN`.
pub fn shown(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}
