//! Writing the `Server-Timing` header value.
//!
//! Entries are appended in place to one per-thread scratch `String`, then copied once into
//! the value's own allocation: no intermediate `String` per metric. Numbers are written in
//! plain decimal (never an exponent, NaN or infinity), and descriptions as a token when they
//! are one, else as a quoted-string with `"` and `\` escaped. Names and descriptions were
//! sanitized when recorded (or checked when compiled, for call sites), so the result is always
//! a valid `HeaderValue`.

use std::cell::Cell;
use std::fmt::Write;
use std::time::Duration;

use bytes::Bytes;

use crate::collector::metric::{Measure, Metric};
use crate::header::sanitize::is_token;
use crate::header::traceparent::TraceContext;
use crate::options::{Config, DEFAULT_PRECISION};

/// Room kept for the `omitted` entry once something has to be left out:
/// `, omitted;desc="4294967295 metrics"` is 36 bytes.
const OMITTED_RESERVE: usize = 40;

/// The name of the entry that reports metrics left out for lack of room.
pub const OMITTED_NAME: &str = "omitted";

thread_local! {
    // The value is written here, then copied once into its own exact-size allocation: one
    // allocation per response, and no growth while writing after a thread's first responses.
    // A `String` has a destructor, so `try_with` fails once it is torn down: a fresh `String`
    // is used then.
    static SCRATCH: Cell<String> = const { Cell::new(String::new()) };
}

/// A scratch buffer grown past this (by a large header budget) is not kept.
const SCRATCH_KEPT: usize = 16 * 1024;

/// The header value for `metrics`, `total` first (then `trace`), within `config.header_budget`,
/// and the number its `omitted` entry says: `omitted` entries left out already, plus those the
/// budget left out.
///
/// Every byte is visible ASCII or a space (names and descriptions are sanitized when recorded
/// or configured), so the value is valid for any `http` version's `HeaderValue`.
pub(crate) fn header_value<E: Entry>(
    config: &Config,
    total: Option<Duration>,
    trace: Option<&TraceContext>,
    metrics: &[E],
    omitted: u32,
) -> (Option<Bytes>, u32) {
    let mut out = SCRATCH.try_with(Cell::take).unwrap_or_default();
    out.clear();
    let omitted = write_header(&mut out, config, total, trace, metrics, omitted);
    let value = (!out.is_empty()).then(|| Bytes::copy_from_slice(out.as_bytes()));
    if out.capacity() <= SCRATCH_KEPT {
        let _ = SCRATCH.try_with(|scratch| scratch.set(out));
    }
    (value, omitted)
}

/// Writes the value; returns how many entries its `omitted` entry counts.
fn write_header<E: Entry>(
    out: &mut String,
    config: &Config,
    total: Option<Duration>,
    trace: Option<&TraceContext>,
    metrics: &[E],
    omitted: u32,
) -> u32 {
    out.reserve(config.header_budget.min(256));
    let left_out = write_all(out, config, total, trace, metrics, config.header_budget);
    if left_out == 0 && omitted == 0 {
        return 0;
    }
    out.clear();
    let left_out = write_all(
        out,
        config,
        total,
        trace,
        metrics,
        config.header_budget - OMITTED_RESERVE,
    );
    // Entries, whichever limit left them out: at most `u32::MAX` of them were recorded.
    let all = omitted.saturating_add(u32::try_from(left_out).unwrap_or(u32::MAX));
    separate(out);
    let _ = write!(out, "{OMITTED_NAME};desc=\"{all} metrics\"");
    all
}

/// Writes `total` and every metric that fits in `budget`; returns how many did not.
fn write_all<E: Entry>(
    out: &mut String,
    config: &Config,
    total: Option<Duration>,
    trace: Option<&TraceContext>,
    metrics: &[E],
    budget: usize,
) -> u64 {
    // The default precision gets a copy of the loop of its own, with every division by a
    // constant: this runs for every metric of every response.
    match config.precision {
        DEFAULT_PRECISION => write_all_at(out, config, DefaultPrecision, total, trace, metrics, budget),
        precision => write_all_at(out, config, Given(precision), total, trace, metrics, budget),
    }
}

/// Decimals of a millisecond: known when compiled (the default) or at run time.
trait Decimals: Copy {
    fn get(self) -> u32;
}

/// [`DEFAULT_PRECISION`], a constant.
#[derive(Clone, Copy)]
struct DefaultPrecision;

impl Decimals for DefaultPrecision {
    #[inline(always)]
    fn get(self) -> u32 {
        u32::from(DEFAULT_PRECISION)
    }
}

/// Any other precision, at most 6.
#[derive(Clone, Copy)]
struct Given(u8);

impl Decimals for Given {
    #[inline(always)]
    fn get(self) -> u32 {
        u32::from(self.0.min(6))
    }
}

/// [`write_all`] at `decimals`.
fn write_all_at<E: Entry, D: Decimals>(
    out: &mut String,
    config: &Config,
    decimals: D,
    total: Option<Duration>,
    trace: Option<&TraceContext>,
    metrics: &[E],
    budget: usize,
) -> u64 {
    if let (Some(name), Some(total)) = (&config.total, total) {
        // Written from the options as they are: nothing is cloned per response.
        let description = config.total_description.as_deref().unwrap_or("");
        write_entry(
            out,
            config,
            decimals,
            name,
            Measure::Duration(total),
            description,
            Notes::default(),
        );
    }
    let mut left_out = match trace {
        Some(trace) => write_trace(out, trace, budget),
        None => 0,
    };
    for metric in metrics {
        let mark = out.len();
        separate(out);
        write_entry(
            out,
            config,
            decimals,
            metric.name(),
            metric.measure(),
            metric.description(),
            metric.notes(),
        );
        if out.len() > budget {
            out.truncate(mark);
            left_out += 1;
        }
    }
    left_out
}

/// `traceparent;desc="…"`, then `tracestate;desc="…"` if there is one, each within `budget`
/// (a `tracestate` without its `traceparent` says nothing); returns how many did not fit.
/// Always quoted: RUM agents that read the raw header look for the quotes.
#[inline(never)]
fn write_trace(out: &mut String, trace: &TraceContext, budget: usize) -> u64 {
    let mark = out.len();
    separate(out);
    out.push_str("traceparent;desc=\"");
    // SAFETY: hex digits and dashes keep the string valid UTF-8.
    unsafe { out.as_mut_vec() }.extend_from_slice(trace.parent.as_bytes());
    out.push('"');
    let entries = 1 + u64::from(trace.state.is_some());
    if out.len() > budget {
        out.truncate(mark);
        return entries;
    }
    if let Some(state) = &trace.state {
        let mark = out.len();
        separate(out);
        out.push_str("tracestate");
        write_quoted_description(out, state, Notes::default());
        if out.len() > budget {
            out.truncate(mark);
            return 1;
        }
    }
    0
}

fn separate(out: &mut String) {
    if !out.is_empty() {
        out.push_str(", ");
    }
}

#[inline(always)]
fn write_entry<D: Decimals>(
    out: &mut String,
    config: &Config,
    decimals: D,
    name: &str,
    measure: Measure,
    description: &str,
    notes: Notes,
) {
    out.push_str(name);
    match measure {
        Measure::Duration(duration) => write_millis(out, duration, decimals),
        Measure::None => {}
        Measure::Value(value) => write_value(out, value, config.precision),
    }
    if !config.descriptions || (description.is_empty() && notes.is_none()) {
        return;
    }
    if notes.is_none() && is_token(description) {
        out.push_str(";desc=");
        out.push_str(description);
    } else {
        write_quoted_description(out, description, notes);
    }
}

/// What the writer needs of one entry: a [`Metric`], or a timed call site still in this
/// thread's batch (written without being made a `Metric` first).
pub(crate) trait Entry {
    /// A token.
    fn name(&self) -> &str;
    fn measure(&self) -> Measure;
    /// Printable ASCII; empty for none.
    fn description(&self) -> &str;
    fn notes(&self) -> Notes;
}

impl Entry for Metric {
    fn name(&self) -> &str {
        &self.name
    }

    fn measure(&self) -> Measure {
        self.total()
    }

    fn description(&self) -> &str {
        self.description.as_deref().unwrap_or("")
    }

    fn notes(&self) -> Notes {
        let timed = matches!(self.measure, Measure::Duration(_));
        Notes {
            calls: Notes::calls(if timed { self.count } else { 0 }),
            failed: self.failed,
            cancelled: self.cancelled,
            panicked: self.panicked,
        }
    }
}

/// What an entry's description says beyond its text, so that DevTools shows it.
#[derive(Clone, Copy, Default)]
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
        if count > 1 {
            count
        } else {
            0
        }
    }

    fn is_none(self) -> bool {
        self.calls == 0 && self.failed == 0 && self.cancelled == 0 && self.panicked == 0
    }
}

/// `;dur=` and `duration` in milliseconds, rounded half up to `decimals`, trailing zeros cut.
///
/// Plain integer arithmetic: this runs for every metric of every response, and `core::fmt` on
/// a `u128` was most of the cost of writing a header.
#[inline(always)]
fn write_millis<D: Decimals>(out: &mut String, duration: Duration, decimals: D) {
    let decimals = decimals.get();
    let scale = POW10[decimals as usize];
    // Nanoseconds in one unit of the last decimal, and those units in a second.
    let unit = POW10[6 - decimals as usize];
    let per_second = 1_000 * scale;
    let below_a_second = (u64::from(duration.subsec_nanos()) + unit / 2) / unit;
    match duration
        .as_secs()
        .checked_mul(per_second)
        .and_then(|units| units.checked_add(below_a_second))
    {
        Some(units) => {
            write_dur(out, units / scale, units % scale, decimals);
        }
        // Beyond 584 years at 6 decimals: exact all the same.
        None => {
            let units = u128::from(duration.as_secs()) * u128::from(per_second) + u128::from(below_a_second);
            let _ = write!(out, ";dur={}", units / u128::from(scale));
            let (mut fraction, mut digits) = ((units % u128::from(scale)) as u64, decimals as usize);
            if fraction > 0 {
                while fraction % 10 == 0 {
                    fraction /= 10;
                    digits -= 1;
                }
                let _ = write!(out, ".{fraction:0digits$}");
            }
        }
    }
}

/// `;dur=`, `millis`, and the `decimals` digits of `fraction` after a point with trailing
/// zeros cut (no point for none), in one write.
#[inline(always)]
fn write_dur(out: &mut String, millis: u64, mut fraction: u64, mut decimals: u32) {
    // `;dur=` + 20 digits + `.` + 6 digits, written from the end.
    let mut text = [0u8; 32];
    let mut at = text.len();
    if fraction != 0 {
        while fraction % 10 == 0 {
            fraction /= 10;
            decimals -= 1;
        }
        let end = at;
        at -= decimals as usize;
        put_digits(&mut text[at..end], fraction);
        at -= 1;
        text[at] = b'.';
    }
    at = put_number(&mut text[..at], millis);
    at -= DUR.len();
    text[at..at + DUR.len()].copy_from_slice(DUR);
    // SAFETY: ASCII keeps the string valid UTF-8. (Checking it with `from_utf8` cost more
    // than writing it.)
    unsafe { out.as_mut_vec() }.extend_from_slice(&text[at..]);
}

/// Two-digit groups, `00` to `99`.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// `n` in decimal at the end of `to` (which has room for it), two digits at a time; returns
/// where it starts. Written from the end, so its digits need not be counted first.
fn put_number(to: &mut [u8], mut n: u64) -> usize {
    let mut at = to.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        at -= 2;
        to[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        at -= 2;
        to[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        to[at] = b'0' + n as u8;
    }
    at
}

/// `n` in decimal, zero-padded to fill `to` (which holds all its digits).
fn put_digits(to: &mut [u8], n: u64) {
    to.fill(b'0');
    put_number(to, n);
}

const DUR: &[u8] = b";dur=";

/// Powers of ten up to a millisecond's nanoseconds.
const POW10: [u64; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

/// `;dur=` and `value` rounded to `precision` decimals, trailing zeros cut; 0 when not finite.
///
/// Out of line: values are rare, and `core::fmt` would weigh on every entry's code.
#[cold]
#[inline(never)]
fn write_value(out: &mut String, value: f64, precision: u8) {
    out.push_str(";dur=");
    let start = out.len();
    let value = if value.is_finite() { value } else { 0.0 };
    let _ = write!(out, "{value:.prec$}", prec = usize::from(precision.min(6)));
    if out[start..].contains('.') {
        let trimmed = out.trim_end_matches('0').trim_end_matches('.').len();
        out.truncate(trimmed);
    }
    if &out[start..] == "-0" {
        out.truncate(start);
        out.push('0');
    }
}

/// `;desc=` and `text` with `notes` as a quoted-string, `"` and `\\` escaped.
#[inline(never)]
fn write_quoted_description(out: &mut String, text: &str, notes: Notes) {
    out.push_str(";desc=\"");
    // Bytes, not chars: both specials are ASCII, so every split is on a char boundary, and each
    // special starts the next run written as is.
    let mut plain = 0;
    for (at, byte) in text.bytes().enumerate() {
        if matches!(byte, b'"' | b'\\') {
            out.push_str(&text[plain..at]);
            out.push('\\');
            plain = at;
        }
    }
    out.push_str(&text[plain..]);
    if !notes.is_none() {
        write_notes(out, text.is_empty(), notes);
    }
    out.push('"');
}

/// The notes of an entry inside its quoted description: after the text, in parentheses, if
/// there is one.
#[cold]
#[inline(never)]
fn write_notes(out: &mut String, alone: bool, notes: Notes) {
    let single_call = notes.calls == 0;
    let notes = [
        (notes.calls, "calls"),
        (notes.failed, "failed"),
        (notes.cancelled, "cancelled"),
        (notes.panicked, "panicked"),
    ];
    out.push_str(if alone { "" } else { " (" });
    let mut first = true;
    for (n, what) in notes.into_iter().filter(|&(n, _)| n > 0) {
        if !first {
            out.push_str(", ");
        }
        first = false;
        // A lone failed, cancelled or panicked call reads better without "1".
        if n == 1 && single_call {
            out.push_str(what);
        } else {
            let _ = write!(out, "{n} {what}");
        }
    }
    out.push_str(if alone { "" } else { ")" });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::metric::Outcome;
    use crate::options::Options;
    use std::borrow::Cow;

    fn value(options: &Options, metrics: &[Metric]) -> String {
        text(header_value(options.config(), None, None, metrics, 0).0)
    }

    fn text(value: Option<Bytes>) -> String {
        String::from_utf8(value.unwrap_or_default().to_vec()).unwrap()
    }

    fn timed(name: &'static str, nanos: u64) -> Metric {
        Metric::new(
            Cow::Borrowed(name),
            None,
            Measure::Duration(Duration::from_nanos(nanos)),
            Outcome::Completed,
        )
    }

    #[test]
    fn durations_round_half_up_and_drop_trailing_zeros() {
        let options = Options::new().no_total();
        assert_eq!(value(&options, &[timed("a", 12_345_500)]), "a;dur=12.346");
        assert_eq!(value(&options, &[timed("a", 12_000_000)]), "a;dur=12");
        assert_eq!(value(&options, &[timed("a", 12_500_000)]), "a;dur=12.5");
        assert_eq!(value(&options, &[timed("a", 12_050_000)]), "a;dur=12.05");
        assert_eq!(value(&options, &[timed("a", 12_005_000)]), "a;dur=12.005");
        assert_eq!(value(&options, &[timed("a", 400)]), "a;dur=0");
        assert_eq!(value(&options, &[timed("a", 500)]), "a;dur=0.001");
        assert_eq!(
            value(&options.clone().precision(0), &[timed("a", 1_500_000)]),
            "a;dur=2"
        );
        assert_eq!(
            value(&options.clone().precision(6), &[timed("a", 1_000_001)]),
            "a;dur=1.000001"
        );
    }

    #[test]
    fn millisecond_counts_of_every_length_are_written_whole() {
        let options = Options::new().no_total();
        let mut millis: u64 = 1;
        for _ in 0..17 {
            for n in [millis - 1, millis, millis + 1, millis * 10 - 1] {
                let metric = Metric::new(
                    Cow::Borrowed("a"),
                    None,
                    Measure::Duration(Duration::from_millis(n)),
                    Outcome::Completed,
                );
                assert_eq!(value(&options, &[metric]), format!("a;dur={n}"));
            }
            millis *= 10;
        }
    }

    #[test]
    fn huge_durations_have_no_exponent() {
        let options = Options::new().no_total();
        let metric = Metric::new(
            Cow::Borrowed("a"),
            None,
            Measure::Duration(Duration::MAX),
            Outcome::Completed,
        );
        let written = value(&options, &[metric]);
        assert_eq!(written, "a;dur=18446744073709551616000");
        let metric = Metric::new(
            Cow::Borrowed("a"),
            None,
            Measure::Duration(Duration::new(u64::MAX, 1_500)),
            Outcome::Completed,
        );
        assert_eq!(
            value(&options.clone().precision(6), &[metric]),
            "a;dur=18446744073709551615000.0015"
        );
    }

    #[test]
    fn values_are_plain_decimals() {
        let options = Options::new().no_total();
        let v = |x: f64| {
            let m = Metric::new(Cow::Borrowed("v"), None, Measure::Value(x), Outcome::Completed);
            value(&options, &[m])
        };
        assert_eq!(v(404.0), "v;dur=404");
        assert_eq!(v(f64::NAN), "v;dur=0");
        assert_eq!(v(f64::INFINITY), "v;dur=0");
        assert_eq!(v(-0.0001), "v;dur=0");
        assert_eq!(v(1e20), "v;dur=100000000000000000000");
        assert_eq!(v(-2.5), "v;dur=-2.5");
    }

    #[test]
    fn descriptions_are_tokens_or_escaped_quoted_strings() {
        let options = Options::new().no_total();
        let d = |text: &'static str| {
            let m = Metric::new(
                Cow::Borrowed("c"),
                Some(Cow::Borrowed(text)),
                Measure::None,
                Outcome::Completed,
            );
            value(&options, &[m])
        };
        assert_eq!(d("hit"), "c;desc=hit");
        assert_eq!(d("DB read"), "c;desc=\"DB read\"");
        assert_eq!(d(r#"say "hi" \o/"#), r#"c;desc="say \"hi\" \\o/""#);
        assert_eq!(d(""), "c");
    }

    #[test]
    fn counts_and_outcomes_show_in_the_description() {
        let options = Options::new().no_total();
        let mut m = timed("db", 1_000_000);
        m.add(Measure::Duration(Duration::from_millis(1)), Outcome::Completed);
        m.add(Measure::Duration(Duration::from_millis(1)), Outcome::Cancelled);
        assert_eq!(
            value(&options, &[m.clone()]),
            "db;dur=3;desc=\"3 calls, 1 cancelled\""
        );
        m.description = Some(Cow::Borrowed("DB read"));
        assert_eq!(
            value(&options, &[m]),
            "db;dur=3;desc=\"DB read (3 calls, 1 cancelled)\""
        );
        let lone = Metric::new(
            Cow::Borrowed("db"),
            None,
            Measure::Duration(Duration::from_millis(1)),
            Outcome::Panicked,
        );
        assert_eq!(value(&options, &[lone]), "db;dur=1;desc=\"panicked\"");
    }

    #[test]
    fn withheld_descriptions_are_not_written() {
        let options = Options::new().no_total().descriptions(false);
        let m = Metric::new(
            Cow::Borrowed("c"),
            Some(Cow::Borrowed("secret")),
            Measure::None,
            Outcome::Completed,
        );
        assert_eq!(value(&options, &[m]), "c");
    }

    #[test]
    fn the_budget_leaves_out_whole_entries_and_says_how_many() {
        let options = Options::new().header_budget(100);
        let metrics: Vec<Metric> = (0..20).map(|_| timed("metric", 1_000_000)).collect();
        let (value, omitted) = header_value(
            options.config(),
            Some(Duration::from_millis(5)),
            None,
            &metrics,
            3,
        );
        let written = text(value);
        assert!(written.len() <= 100, "{written}");
        assert!(written.starts_with("total;dur=5, metric;dur=1"), "{written}");
        let kept = written.matches("metric;dur=1").count();
        assert_eq!(omitted as usize, 20 - kept + 3);
        let expected = format!("omitted;desc=\"{omitted} metrics\"");
        assert!(written.ends_with(&expected), "{written}");
    }
}
