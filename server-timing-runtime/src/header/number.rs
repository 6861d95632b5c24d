//! Numbers as a `dur` parameter: plain decimal, never an exponent, NaN or infinity, rounded to
//! the configured decimals with trailing zeros cut, so a browser reads back what was written.

use std::io::Write;
use std::time::Duration;

/// Powers of ten up to a millisecond's nanoseconds.
const POW10: [u64; 7] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

/// `;dur=` and `duration` in milliseconds, rounded half up to `decimals` (at most 6), trailing
/// zeros cut.
pub(crate) fn write_millis(out: &mut Vec<u8>, duration: Duration, decimals: u8) {
    let decimals = usize::from(decimals.min(6));
    let scale = POW10[decimals];
    // Nanoseconds in one unit of the last decimal.
    let unit = POW10[6 - decimals];
    let below_a_second = (u64::from(duration.subsec_nanos()) + unit / 2) / unit;
    let units = duration
        .as_secs()
        .checked_mul(1_000 * scale)
        .and_then(|units| units.checked_add(below_a_second));
    let Some(units) = units else {
        // Beyond 584 years at 6 decimals: in 128 bits, exact all the same.
        let units = u128::from(duration.as_secs()) * u128::from(1_000 * scale) + u128::from(below_a_second);
        out.extend_from_slice(b";dur=");
        out.extend_from_slice(itoa::Buffer::new().format(units / u128::from(scale)).as_bytes());
        // Below `scale`, so within 64 bits.
        let mut text = [0; 8];
        let at = put_fraction(&mut text, (units % u128::from(scale)) as u64, decimals);
        out.extend_from_slice(&text[at..]);
        return;
    };
    // `;dur=`, the digits and the fraction, put from the end, then written at once.
    let mut text = [0; 5 + 20 + 8];
    let mut at = put_fraction(&mut text, units % scale, decimals);
    let mut millis = units / scale;
    loop {
        at -= 1;
        text[at] = b'0' + (millis % 10) as u8;
        millis /= 10;
        if millis == 0 {
            break;
        }
    }
    at -= 5;
    text[at..at + 5].copy_from_slice(b";dur=");
    out.extend_from_slice(&text[at..]);
}

/// Puts `.` and the `decimals` digits of `fraction` (below `10^decimals`), trailing zeros cut,
/// at the end of `text` (nothing for zero); returns where they start.
fn put_fraction(text: &mut [u8], mut fraction: u64, mut decimals: usize) -> usize {
    let mut at = text.len();
    if fraction == 0 {
        return at;
    }
    while fraction % 10 == 0 {
        fraction /= 10;
        decimals -= 1;
    }
    for _ in 0..decimals {
        at -= 1;
        text[at] = b'0' + (fraction % 10) as u8;
        fraction /= 10;
    }
    at -= 1;
    text[at] = b'.';
    at
}

/// `n` in decimal.
pub(crate) fn write_number(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// `;dur=` and `value` rounded to `precision` decimals (at most 6), trailing zeros cut; 0 when
/// not finite.
pub(crate) fn write_value(out: &mut Vec<u8>, value: f64, precision: u8) {
    out.extend_from_slice(b";dur=");
    let start = out.len();
    let value = if value.is_finite() { value } else { 0.0 };
    let _ = write!(out, "{value:.prec$}", prec = usize::from(precision.min(6)));
    if out[start..].contains(&b'.') {
        while out.last() == Some(&b'0') {
            out.pop();
        }
        if out.last() == Some(&b'.') {
            out.pop();
        }
    }
    if out[start..] == *b"-0" {
        out.truncate(start);
        out.push(b'0');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(duration: Duration, decimals: u8) -> String {
        let mut out = Vec::new();
        write_millis(&mut out, duration, decimals);
        String::from_utf8(out).expect("ASCII")
    }

    fn value(value: f64) -> String {
        let mut out = Vec::new();
        write_value(&mut out, value, 3);
        String::from_utf8(out).expect("ASCII")
    }

    #[test]
    fn durations_round_half_up_and_drop_trailing_zeros() {
        let ns = Duration::from_nanos;
        assert_eq!(millis(ns(12_345_500), 3), ";dur=12.346");
        assert_eq!(millis(ns(12_000_000), 3), ";dur=12");
        assert_eq!(millis(ns(12_500_000), 3), ";dur=12.5");
        assert_eq!(millis(ns(12_050_000), 3), ";dur=12.05");
        assert_eq!(millis(ns(12_005_000), 3), ";dur=12.005");
        assert_eq!(millis(ns(400), 3), ";dur=0");
        assert_eq!(millis(ns(500), 3), ";dur=0.001");
        assert_eq!(millis(ns(1_500_000), 0), ";dur=2");
        assert_eq!(millis(ns(1_000_001), 6), ";dur=1.000001");
        assert_eq!(millis(ns(999_999_999), 3), ";dur=1000");
        assert_eq!(millis(ns(1_234_567), 9), ";dur=1.234567");
    }

    #[test]
    fn millisecond_counts_of_every_length_are_written_whole() {
        let mut millis_count: u64 = 1;
        for _ in 0..17 {
            for n in [
                millis_count - 1,
                millis_count,
                millis_count + 1,
                millis_count * 10 - 1,
            ] {
                assert_eq!(millis(Duration::from_millis(n), 3), format!(";dur={n}"));
            }
            millis_count *= 10;
        }
    }

    #[test]
    fn huge_durations_have_no_exponent() {
        assert_eq!(millis(Duration::MAX, 3), ";dur=18446744073709551616000");
        assert_eq!(
            millis(Duration::new(u64::MAX, 1_500), 6),
            ";dur=18446744073709551615000.0015"
        );
    }

    #[test]
    fn values_are_plain_decimals() {
        assert_eq!(value(404.0), ";dur=404");
        assert_eq!(value(f64::NAN), ";dur=0");
        assert_eq!(value(f64::INFINITY), ";dur=0");
        assert_eq!(value(-0.0001), ";dur=0");
        assert_eq!(value(1e20), ";dur=100000000000000000000");
        assert_eq!(value(-2.5), ";dur=-2.5");
        assert_eq!(value(0.25), ";dur=0.25");
    }
}
