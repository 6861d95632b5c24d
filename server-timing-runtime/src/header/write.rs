//! Writing a `Server-Timing` field value: the leading entries, `total`, then the metrics,
//! within the header budget, with an `omitted` entry that says what was left out.
//!
//! Descriptions are written as a token when they are one, else as a quoted-string with `"`
//! and `\` escaped. Names and descriptions reach the writer sanitized (or checked when
//! compiled), and the `total` name and description from the options are sanitized here, so
//! every byte written is visible ASCII or a space.

use std::time::Duration;

use crate::header::entry::{Entry, Lead, Measure, Notes};
use crate::header::number::{write_millis, write_number, write_value};
use crate::header::sanitize::{self, is_token, is_token_bytes};
use crate::options::{Config, Options};

/// Room kept for the `omitted` entry once something has to be left out:
/// `, omitted;desc="4294967295 metrics"` is 36 bytes.
const OMITTED_RESERVE: usize = 40;

/// The name of the entry that reports metrics left out for lack of room.
///
/// ```
/// use server_timing_runtime::{record, Options, Timings, OMITTED_NAME};
///
/// let timings = Timings::with_options(Options::new().no_total().max_metrics(1));
/// timings.sync_scope(|| {
///     record("a", std::time::Duration::ZERO);
///     record("b", std::time::Duration::ZERO);
/// });
/// let value = timings.finish().unwrap();
/// assert_eq!(value, format!("a;dur=0, {OMITTED_NAME};desc=\"1 metrics\"").as_str());
/// ```
pub const OMITTED_NAME: &str = "omitted";

/// The most a value's buffer starts with: room for a few dozen entries, in an allocation
/// small enough for the allocator's per-thread cache; larger values grow it.
const MAX_RESERVED: usize = 1024;

/// A written field value, and the number its `omitted` entry says.
pub(crate) struct Written {
    /// `None` when there was nothing to write.
    pub(crate) value: Option<Vec<u8>>,
    /// Entries left out: `omitted` ones given, plus those the budget left out.
    pub(crate) omitted: u32,
}

/// The field value for `metrics`: `leads` first, then `total`, then the metrics, within
/// `config.header_budget`, and an `omitted` entry counting the `omitted` entries given plus
/// those the budget left out.
pub(crate) fn header_value<E: Entry>(
    config: &Config,
    total: Option<Duration>,
    leads: &[Lead<'_>],
    metrics: &[E],
    omitted: u32,
) -> Written {
    let fields = Fields {
        config,
        total,
        leads,
        metrics,
    };
    // Room for what a value usually holds, so it is written without regrowing.
    let mut out = Vec::with_capacity(config.header_budget.min(MAX_RESERVED));
    let left_out = fields.write(&mut out, config.header_budget);
    let omitted = if left_out == 0 && omitted == 0 {
        0
    } else {
        out.clear();
        let left_out = fields.write(&mut out, config.header_budget - OMITTED_RESERVE);
        // At most `u32::MAX` entries were recorded, whichever limit left them out.
        let all = omitted.saturating_add(u32::try_from(left_out).unwrap_or(u32::MAX));
        separate(&mut out);
        out.extend_from_slice(OMITTED_NAME.as_bytes());
        out.extend_from_slice(b";desc=\"");
        write_number(&mut out, u64::from(all));
        out.extend_from_slice(b" metrics\"");
        all
    };
    Written {
        value: (!out.is_empty()).then_some(out),
        omitted,
    }
}

/// What one field value holds.
struct Fields<'a, E> {
    config: &'a Config,
    total: Option<Duration>,
    leads: &'a [Lead<'a>],
    metrics: &'a [E],
}

impl<E: Entry> Fields<'_, E> {
    /// Writes `total`, the leads and every metric that fits in `budget`; returns how many did
    /// not fit.
    fn write(&self, out: &mut Vec<u8>, budget: usize) -> u64 {
        let config = self.config;
        let mut left_out = 0;
        for (at, lead) in self.leads.iter().enumerate() {
            let mark = out.len();
            separate(out);
            out.extend_from_slice(lead.name.as_bytes());
            if lead.quoted || !is_token_bytes(lead.description) {
                write_quoted_description(out, lead.description, Notes::default());
            } else {
                out.extend_from_slice(b";desc=");
                out.extend_from_slice(lead.description);
            }
            if out.len() > budget {
                // A lead makes sense only after those before it: the rest go with it.
                out.truncate(mark);
                left_out += (self.leads.len() - at) as u64;
                break;
            }
        }
        if let (Some(name), Some(total)) = (&config.total, self.total) {
            let description = config.total_description.as_deref().unwrap_or("");
            separate(out);
            write_entry(
                out,
                config,
                &sanitize::name_of(name),
                Measure::Duration(total),
                &sanitize::description_of(description),
                Notes::default(),
            );
        }
        for metric in self.metrics {
            let mark = out.len();
            separate(out);
            write_entry(
                out,
                config,
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
}

/// One entry as the header writes it at the default options, for its `Display`.
pub(crate) fn entry_text(entry: &impl Entry) -> String {
    let config = Options::default();
    let mut out = Vec::new();
    write_entry(
        &mut out,
        config.config(),
        entry.name(),
        entry.measure(),
        entry.description(),
        entry.notes(),
    );
    // Names and descriptions are sanitized, so the entry is ASCII.
    String::from_utf8_lossy(&out).into_owned()
}

fn separate(out: &mut Vec<u8>) {
    if !out.is_empty() {
        out.extend_from_slice(b", ");
    }
}

fn write_entry(
    out: &mut Vec<u8>,
    config: &Config,
    name: &str,
    measure: Measure,
    description: &str,
    notes: Notes,
) {
    out.extend_from_slice(name.as_bytes());
    match measure {
        Measure::Duration(duration) => write_millis(out, duration, config.precision),
        Measure::None => {}
        Measure::Value(value) => write_value(out, value, config.precision),
    }
    if !config.descriptions || (description.is_empty() && notes.is_none()) {
        return;
    }
    if notes.is_none() && is_token(description) {
        out.extend_from_slice(b";desc=");
        out.extend_from_slice(description.as_bytes());
    } else {
        write_quoted_description(out, description.as_bytes(), notes);
    }
}

/// `;desc=` and `text` with `notes` as a quoted-string, `"` and `\` escaped.
fn write_quoted_description(out: &mut Vec<u8>, text: &[u8], notes: Notes) {
    out.extend_from_slice(b";desc=\"");
    // The text as it is up to each special byte, then the byte escaped.
    let mut rest = text;
    while let Some(at) = rest.iter().position(|&byte| byte == b'"' || byte == b'\\') {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(&[b'\\', rest[at]]);
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
    if !notes.is_none() {
        write_notes(out, text.is_empty(), notes);
    }
    out.push(b'"');
}

/// The notes of an entry inside its quoted description: after the text, in parentheses, if
/// there is one. A lone failed, cancelled or panicked call reads better without "1".
fn write_notes(out: &mut Vec<u8>, alone: bool, notes: Notes) {
    let single_call = notes.calls == 0;
    let notes = [
        (notes.calls, "calls"),
        (notes.failed, "failed"),
        (notes.cancelled, "cancelled"),
        (notes.panicked, "panicked"),
    ];
    if !alone {
        out.extend_from_slice(b" (");
    }
    for (i, (n, what)) in notes.into_iter().filter(|&(n, _)| n > 0).enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        if n != 1 || !single_call {
            write_number(out, u64::from(n));
            out.push(b' ');
        }
        out.extend_from_slice(what.as_bytes());
    }
    if !alone {
        out.push(b')');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry as the tests build them.
    struct Test {
        name: &'static str,
        measure: Measure,
        description: &'static str,
        notes: Notes,
    }

    impl Entry for Test {
        fn name(&self) -> &str {
            self.name
        }

        fn measure(&self) -> Measure {
            self.measure
        }

        fn description(&self) -> &str {
            self.description
        }

        fn notes(&self) -> Notes {
            self.notes
        }
    }

    fn entry(name: &'static str, measure: Measure, description: &'static str) -> Test {
        Test {
            name,
            measure,
            description,
            notes: Notes::default(),
        }
    }

    fn timed(name: &'static str, nanos: u64) -> Test {
        entry(name, Measure::Duration(Duration::from_nanos(nanos)), "")
    }

    fn value(options: &Options, metrics: &[Test]) -> String {
        text(header_value(options.config(), None, &[], metrics, 0))
    }

    fn text(written: Written) -> String {
        String::from_utf8(written.value.unwrap_or_default()).expect("ASCII")
    }

    #[test]
    fn durations_round_half_up_and_drop_trailing_zeros() {
        let options = Options::new().no_total();
        assert_eq!(value(&options, &[timed("a", 12_345_500)]), "a;dur=12.346");
        assert_eq!(value(&options, &[timed("a", 12_000_000)]), "a;dur=12");
        assert_eq!(value(&options, &[timed("a", 400)]), "a;dur=0");
        assert_eq!(
            value(&options.clone().precision(0), &[timed("a", 1_500_000)]),
            "a;dur=2"
        );
    }

    #[test]
    fn descriptions_are_tokens_or_escaped_quoted_strings() {
        let options = Options::new().no_total();
        let d = |text: &'static str| value(&options, &[entry("c", Measure::None, text)]);
        assert_eq!(d("hit"), "c;desc=hit");
        assert_eq!(d("DB read"), "c;desc=\"DB read\"");
        assert_eq!(d(r#"say "hi" \o/"#), r#"c;desc="say \"hi\" \\o/""#);
        assert_eq!(d(""), "c");
    }

    #[test]
    fn notes_show_in_the_description() {
        let options = Options::new().no_total();
        let mut db = timed("db", 3_000_000);
        db.notes = Notes {
            calls: 3,
            cancelled: 1,
            ..Notes::default()
        };
        assert_eq!(value(&options, &[db]), "db;dur=3;desc=\"3 calls, 1 cancelled\"");
        let mut described = timed("db", 3_000_000);
        described.description = "DB read";
        described.notes = Notes {
            calls: 3,
            cancelled: 1,
            ..Notes::default()
        };
        assert_eq!(
            value(&options, &[described]),
            "db;dur=3;desc=\"DB read (3 calls, 1 cancelled)\""
        );
        let mut lone = timed("db", 1_000_000);
        lone.notes.panicked = 1;
        assert_eq!(value(&options, &[lone]), "db;dur=1;desc=\"panicked\"");
    }

    #[test]
    fn withheld_descriptions_are_not_written() {
        let options = Options::new().no_total().descriptions(false);
        assert_eq!(value(&options, &[entry("c", Measure::None, "secret")]), "c");
    }

    #[test]
    fn the_total_name_and_description_are_written_sanitized() {
        let options = Options::new()
            .total("whole request")
            .total_description("caf\u{e9}\r\n");
        let written = text(header_value(
            options.config(),
            Some(Duration::from_millis(2)),
            &[],
            &[] as &[Test],
            0,
        ));
        assert_eq!(written, "whole_request;dur=2;desc=\"caf?  \"");
    }

    #[test]
    fn leads_open_the_field_quoted_where_asked() {
        let options = Options::new();
        let leads = [
            Lead {
                name: "traceparent",
                description: b"00-ab-cd-01",
                quoted: true,
            },
            Lead {
                name: "tracestate",
                description: b"a=1",
                quoted: true,
            },
            Lead {
                name: "trace",
                description: b"00-ab-cd-03",
                quoted: false,
            },
        ];
        let written = text(header_value(
            options.config(),
            Some(Duration::from_millis(1)),
            &leads,
            &[timed("db", 2_000_000)],
            0,
        ));
        assert_eq!(
            written,
            "traceparent;desc=\"00-ab-cd-01\", tracestate;desc=\"a=1\", trace;desc=00-ab-cd-03, total;dur=1, db;dur=2"
        );
    }

    #[test]
    fn a_lead_that_does_not_fit_leaves_out_the_leads_after_it() {
        let options = Options::new().no_total().header_budget(96);
        let long = "x".repeat(90);
        let leads = [
            Lead {
                name: "traceparent",
                description: long.as_bytes(),
                quoted: true,
            },
            Lead {
                name: "tracestate",
                description: b"a=1",
                quoted: true,
            },
        ];
        let written = header_value(options.config(), None, &leads, &[timed("db", 0)], 0);
        assert_eq!(written.omitted, 2);
        assert_eq!(text(written), "db;dur=0, omitted;desc=\"2 metrics\"");
    }

    #[test]
    fn the_budget_leaves_out_whole_entries_and_says_how_many() {
        let options = Options::new().header_budget(100);
        let metrics: Vec<Test> = (0..20).map(|_| timed("metric", 1_000_000)).collect();
        let written = header_value(options.config(), Some(Duration::from_millis(5)), &[], &metrics, 3);
        let omitted = written.omitted;
        let written = text(written);
        assert!(written.len() <= 100, "{written}");
        assert!(written.starts_with("total;dur=5, metric;dur=1"), "{written}");
        let kept = written.matches("metric;dur=1").count();
        assert_eq!(omitted as usize, 20 - kept + 3);
        let expected = format!("omitted;desc=\"{omitted} metrics\"");
        assert!(written.ends_with(&expected), "{written}");
    }
}
