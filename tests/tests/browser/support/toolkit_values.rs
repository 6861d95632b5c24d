//! Header values as the toolkit writes them, for recordings with hostile names and
//! descriptions, and what any browser must read in a value the toolkit wrote.

use std::sync::Arc;
use std::time::Duration;

use server_timing_runtime::{
    DEFAULT_TOTAL_NAME, MAX_NAME_LEN, Options, ParsedMetric, Repeated, Timings, describe, parse, record,
};

use super::fixed_fields::read_fixed;

/// How many values the toolkit writes for an engine to read back.
pub const TOOLKIT_VALUES: usize = 300;

/// The characters of an RFC 9110 token, spelled out here rather than taken from the writer,
/// so that a writer that lets another through is caught.
const TCHAR: &str = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `count` header values as the toolkit writes them, for recordings with hostile names and
/// descriptions (quotes, backslashes, separators, non-ASCII, control characters), under a
/// few option sets: what any toolkit user's browser reads.
pub fn written_by_the_toolkit(count: usize) -> Vec<Vec<u8>> {
    const NAMES: &[&str] = &[
        "db",
        "cache.read",
        "a b",
        "x,y",
        "q\"uote",
        "semi;colon",
        "café",
        "tab\there",
        "",
        "x=1",
    ];
    const DESCRIPTIONS: &[&str] = &[
        "",
        "Primary DB",
        "say \"hi\"",
        "back\\slash",
        "a, b; c",
        "naïve",
        "\u{7f}del",
        "(x)",
    ];
    (0..count)
        .map(|i| {
            let options = Options::new()
                .precision(u8::try_from(i % 5).unwrap_or(3))
                .repeated(if i % 2 == 0 {
                    Repeated::Aggregate
                } else {
                    Repeated::Each
                });
            let timings = Timings::with_options(options);
            timings.sync_scope(|| {
                for j in 0..(i % 7) {
                    let name = NAMES[(i + j) % NAMES.len()];
                    record(
                        name,
                        Duration::from_nanos(((i * 7_919 + j * 104_729) % 50_000_000) as u64),
                    );
                    describe(name, DESCRIPTIONS[(i * 3 + j) % DESCRIPTIONS.len()]);
                }
            });
            let value = timings.finish().expect("`total` is always written");
            value.as_bytes().to_vec()
        })
        .collect()
}

/// What `engine` read in `value`, a value the toolkit wrote, is in the writer's documented
/// form: `total` first (after the `traceparent` entry where trace context is on), every name a
/// token of at most [`MAX_NAME_LEN`] characters, every description printable ASCII.
pub fn assert_written_form(engine: &str, value: &str, read: &[ParsedMetric]) {
    let first_metric = match read.first() {
        Some(trace) if trace.name == "traceparent" => read.get(1),
        first => first,
    };
    assert_eq!(
        first_metric.map(|m| m.name.as_str()),
        Some(DEFAULT_TOTAL_NAME),
        "{engine} read {value:?} as {read:?}"
    );
    for metric in read {
        assert!(
            !metric.name.is_empty()
                && metric.name.chars().count() <= MAX_NAME_LEN
                && metric.name.chars().all(|c| TCHAR.contains(c)),
            "{engine} read a name that is no short token in {value:?}: {metric:?}"
        );
        assert!(
            metric.description.chars().all(|c| matches!(c, ' '..='~')),
            "{engine} read a description that is not printable ASCII in {value:?}: {metric:?}"
        );
    }
}

/// `count` values the toolkit wrote ([`written_by_the_toolkit`]), each served as a response's
/// only field: `engine` (`browser`, of which `dump_dom` gives a page's DOM once its report is
/// written) reads every one exactly as `parse` does, and in the writer's form.
pub async fn reads_toolkit_values_as_parse<B: Send + 'static>(
    engine: &str,
    browser: B,
    dump_dom: fn(&B, &str) -> String,
    count: usize,
) {
    let values = written_by_the_toolkit(count);
    let responses = Arc::new(values.iter().map(|v| vec![v.clone()]).collect::<Vec<_>>());
    let read = read_fixed(browser, dump_dom, &responses).await;
    for (value, browser) in values.iter().zip(&read) {
        let text = std::str::from_utf8(value).expect("the toolkit writes ASCII");
        assert_eq!(
            browser,
            &parse(text),
            "{engine} (left) and `parse` (right) read {text:?}"
        );
        assert_written_form(engine, text, browser);
    }
}
