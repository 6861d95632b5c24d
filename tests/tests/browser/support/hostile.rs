//! Recordings with hostile names and descriptions (quotes, backslashes, separators, control
//! characters, non-ASCII, over-long text), and what a browser must read for them.

use std::time::Duration;

use server_timing_runtime::{
    ParsedMetric, describe, record, sanitize_description, sanitize_name, server_timing,
};

/// A recording with hostile text, and the `dur` the header must carry for it at the demo's
/// precision (3 decimals, rounded half up), worked out by hand.
pub struct Hostile {
    name: &'static str,
    nanos: Option<u64>,
    description: Option<&'static str>,
    millis: f64,
}

pub const HOSTILE_RECORDINGS: &[Hostile] = &[
    Hostile {
        name: "quotes",
        nanos: Some(12_345_678),
        description: Some(r#"say "hi" to "them""#),
        millis: 12.346,
    },
    Hostile {
        name: "backslashes",
        nanos: Some(1_000_000),
        description: Some(r#"C:\temp\ \"x\" \\"#),
        millis: 1.0,
    },
    Hostile {
        name: "separators",
        nanos: Some(999_999),
        description: Some(r#"a, b; c=d, desc="e"; dur=5"#),
        millis: 1.0,
    },
    Hostile {
        name: "controls",
        nanos: Some(1_500),
        description: Some("line1\r\nline2\tend\0\x1b[31m\x7f"),
        millis: 0.002,
    },
    Hostile {
        name: "non-ascii",
        nanos: None,
        description: Some("caf\u{e9} \u{2603} \u{65e5}\u{672c} \u{2014} na\u{ef}ve"),
        millis: 0.0,
    },
    Hostile {
        name: "db read; \"x\", y=1",
        nanos: Some(2_000_500),
        description: Some("=;,\"\\"),
        millis: 2.001,
    },
    Hostile {
        name: "long",
        nanos: Some(250_000_000),
        description: Some(LONG_DESCRIPTION),
        millis: 250.0,
    },
    Hostile {
        name: "empty",
        nanos: Some(0),
        description: Some(""),
        millis: 0.0,
    },
];

/// Longer than a description may be: the cut at 256 characters falls inside a run of quotes
/// and backslashes (`"\"` is kept, `\ end` is cut).
const LONG_DESCRIPTION: &str = concat!(
    "\"\\ 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 ",
    "0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 ",
    "0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 ",
    "0123456789 abcdefgh\"\\\"\\ end"
);

pub const MACRO_DESCRIPTION: &str = "a \"quoted\" \\ desc, with; separators=1";

#[server_timing("macro", desc = "a \"quoted\" \\ desc, with; separators=1")]
fn described_by_the_attribute() {}

pub fn record_hostile() {
    for hostile in HOSTILE_RECORDINGS {
        if let Some(nanos) = hostile.nanos {
            record(hostile.name, Duration::from_nanos(nanos));
        }
        if let Some(description) = hostile.description {
            describe(hostile.name, description);
        }
    }
    described_by_the_attribute();
}

/// What the browser must read for the hostile recordings, after `total`.
pub fn hostile_expected() -> Vec<ParsedMetric> {
    HOSTILE_RECORDINGS
        .iter()
        .map(|hostile| ParsedMetric {
            name: sanitize_name(hostile.name),
            duration: hostile.millis,
            description: sanitize_description(hostile.description.unwrap_or_default()),
        })
        .collect()
}

/// A browser read the hostile recordings exactly: the demo's `traceparent`, `total`, every
/// hostile recording as [`hostile_expected`] says, then the attribute's metric.
pub fn assert_hostile_entries(entries: &[ParsedMetric]) {
    let expected = hostile_expected();
    assert_eq!(entries.len(), expected.len() + 3, "{entries:#?}");
    assert_eq!(entries[0].name, "traceparent", "{entries:#?}");
    assert_eq!(entries[1].name, "total", "{entries:#?}");
    assert_eq!(&entries[2..=expected.len() + 1], &expected[..]);
    let by_attribute = &entries[expected.len() + 2];
    assert_eq!(
        (by_attribute.name.as_str(), by_attribute.description.as_str()),
        ("macro", MACRO_DESCRIPTION)
    );
}
