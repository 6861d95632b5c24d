//! Properties of writing and parsing together: whatever the runtime records, a browser-exact
//! parse of the header gives back the sanitized name, the sanitized description and the
//! duration at the configured precision; and parsing any input whatever never panics.

use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use server_timing_runtime::{
    Options, SERVER_TIMING, Timings, describe, parse, parse_headers, record, sanitize_description,
    sanitize_name,
};

/// Durations a double can carry to 6 decimals of a millisecond with an error under half a
/// unit: below 2^52 units of the finest precision (2^52 ns, about 52 days).
const MAX_EXACT_NANOS: u64 = 1 << 52;

/// Text that exercises the writer: anything Unicode, weighted towards what a header must
/// escape or may not carry (quotes, backslashes, CR, LF, NUL, delimiters, non-ASCII), up to
/// well past the sanitizer's length limits.
fn hostile_text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        '"',
        '\\',
        '\r',
        '\n',
        '\0',
        '\t',
        ' ',
        ',',
        ';',
        '=',
        '\u{7f}',
        '\u{e9}',
        '\u{1f600}',
        'a',
        'Z',
        '9',
    ]);
    let character = prop_oneof![any::<char>(), special];
    prop_oneof![
        any::<String>(),
        prop::collection::vec(character.clone(), 0..40).prop_map(String::from_iter),
        prop::collection::vec(character, 200..1200).prop_map(String::from_iter),
    ]
}

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        0u64..2_000_000,
        0u64..10_000_000_000,
        0..=MAX_EXACT_NANOS,
        Just(MAX_EXACT_NANOS),
    ]
    .prop_map(Duration::from_nanos)
}

/// Whether `parsed` is within half a unit of `units` x 10^-`decimals`, computed exactly:
/// `parsed` = m x 2^e, so the condition |m x 2^e x 10^d - units| <= 1/2 is checked in integers.
fn within_half_a_unit(parsed: f64, units: u128, decimals: u32) -> bool {
    if !(parsed.is_finite() && parsed >= 0.0) {
        return false;
    }
    let bits = parsed.to_bits();
    let biased = i32::try_from((bits >> 52) & 0x7ff).expect("11 bits");
    let fraction = u128::from(bits & ((1 << 52) - 1));
    let (mantissa, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    let scale = 10u128.pow(decimals);
    if exponent >= 0 {
        // An integer number of ms: only the exact value is within half a unit.
        let scaled = 1u128
            .checked_shl(exponent.unsigned_abs())
            .filter(|_| exponent < 64)
            .and_then(|power| mantissa.checked_mul(power))
            .and_then(|whole| whole.checked_mul(scale));
        return scaled == Some(units);
    }
    // Doubled, and multiplied by 2^k (k = -e), everything is an integer. Below 2^-70 a
    // nonzero double is under every unit used here, so only 0 can match it.
    let k = exponent.unsigned_abs();
    if k > 100 {
        return units == 0 && mantissa == 0;
    }
    let lhs = 2 * mantissa * scale;
    let rhs = (2 * units) << k;
    lhs.abs_diff(rhs) <= 1u128 << k
}

/// The recorded duration rounded half up to `decimals` decimals of a millisecond, as an
/// integer number of 10^-`decimals` ms.
fn rounded_units(duration: Duration, decimals: u32) -> u128 {
    let nanos_per_unit = 10u128.pow(6 - decimals);
    let nanos = duration.as_nanos();
    let (whole, rest) = (nanos / nanos_per_unit, nanos % nanos_per_unit);
    if 2 * rest >= nanos_per_unit {
        whole + 1
    } else {
        whole
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn what_is_recorded_is_what_a_browser_reads(
        name in hostile_text(),
        description in hostile_text(),
        duration in duration(),
        precision in 0u8..=9,
    ) {
        let timings = Timings::with_options(Options::new().precision(precision));
        timings.sync_scope(|| {
            describe(name.clone(), description.clone());
            record(name.clone(), duration);
        });
        let value = timings.finish().expect("a metric was recorded");
        let text = value.to_str().expect("a written value is visible ASCII");
        prop_assert!(HeaderValue::from_str(text).is_ok());

        let parsed = parse(text);
        prop_assert_eq!(parsed.len(), 2, "{:?} -> {:?}", text, parsed);
        prop_assert_eq!(parsed[0].name.as_str(), "total");
        let metric = &parsed[1];
        prop_assert_eq!(&metric.name, &sanitize_name(&name), "{:?}", text);
        prop_assert_eq!(&metric.description, &sanitize_description(&description), "{:?}", text);

        let decimals = u32::from(precision.min(6));
        let units = rounded_units(duration, decimals);
        prop_assert!(
            within_half_a_unit(metric.duration, units, decimals),
            "{:?} recorded, {} x 10^-{} ms expected, {} parsed from {:?}",
            duration, units, decimals, metric.duration, text
        );
    }

    #[test]
    fn parsing_any_text_never_panics_and_reads_only_tokens(value in hostile_text()) {
        let parsed = parse(&value);
        let at_most = value.bytes().filter(|&b| b == b',').count() + 1;
        prop_assert!(parsed.len() <= at_most, "{} entries from {:?}", parsed.len(), value);
        for metric in &parsed {
            prop_assert!(!metric.name.is_empty());
            prop_assert!(
                metric.name.bytes().all(|b| (0x21..0x80).contains(&b)
                    && !b";\"()<>@,:\\/[]?=".contains(&b)),
                "name {:?} from {:?}", metric.name, value
            );
            prop_assert!(!metric.duration.is_nan());
        }
    }

    #[test]
    fn parsing_any_header_bytes_never_panics(
        fields in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..4),
    ) {
        let mut headers = HeaderMap::new();
        let mut joined = Vec::new();
        for field in fields {
            let Ok(value) = HeaderValue::from_bytes(&field) else { continue };
            if !joined.is_empty() || !headers.is_empty() {
                joined.extend_from_slice(b", ");
            }
            joined.extend_from_slice(&field);
            headers.append(SERVER_TIMING, value);
        }
        let parsed = parse_headers(&headers);
        // Header bytes are ISO-8859-1 characters; read as such, the joined fields parse alike.
        let latin1: String = joined.iter().map(|&b| char::from(b)).collect();
        prop_assert_eq!(parsed, parse(&latin1));
    }
}

#[test]
fn the_longest_duration_is_written_exactly_and_read_as_the_nearest_double() {
    let timings = Timings::with_options(Options::new().no_total());
    timings.sync_scope(|| record("long", Duration::MAX));
    let value = timings.finish().expect("a metric was recorded");
    // Duration::MAX is 18446744073709551615.999999999 s: rounded half up to 3 decimals of a ms.
    assert_eq!(value, "long;dur=18446744073709551616000");
    // 2^64 x 1000 = 2^67 x 125 is a double, so it is read exactly.
    assert_eq!(parse(value.to_str().unwrap())[0].duration, 2f64.powi(64) * 1000.0);
}

#[test]
fn the_exactness_check_rejects_what_is_off_by_more_than_half_a_unit() {
    assert!(within_half_a_unit(1.5, 1500, 3));
    assert!(within_half_a_unit(0.1, 1, 1));
    assert!(within_half_a_unit(0.0, 0, 6));
    assert!(within_half_a_unit(4503599627.370496, 4_503_599_627_370_496, 6));
    assert!(!within_half_a_unit(1.5, 1501, 3));
    assert!(!within_half_a_unit(0.1, 2, 1));
    assert!(!within_half_a_unit(0.002, 1, 3));
    assert!(!within_half_a_unit(2.0, 1, 0));
    assert!(!within_half_a_unit(f64::NAN, 0, 0));
    assert!(!within_half_a_unit(-1.0, 1, 0));
}

#[test]
fn rounding_is_half_up() {
    assert_eq!(rounded_units(Duration::from_nanos(1_499_999), 0), 1);
    assert_eq!(rounded_units(Duration::from_nanos(1_500_000), 0), 2);
    assert_eq!(rounded_units(Duration::from_nanos(12_345_500), 3), 12_346);
    assert_eq!(rounded_units(Duration::from_nanos(7), 6), 7);
}
