//! WebKit, the engine of Safari (WebKitGTK's MiniBrowser under Xvfb, over W3C WebDriver): the
//! demo and hostile recordings read as recorded, the toolkit's own values as with `parse`, and
//! the parsing suite and generated values otherwise than `parse` only in the listed ways
//! ([`reading::Difference`]), each of them seen.
//!
//! Needs `WebKitWebDriver` (Debian: `webkit2gtk-driver`) and `Xvfb`; without them every test
//! here skips with a loud message, or fails when `SERVER_TIMING_REQUIRE_WEBKIT=1` (CI sets it).

mod driver;
mod reading;
mod webdriver;
mod xvfb;

use std::sync::Arc;

use server_timing_runtime::{ParsedMetric, parse};

use crate::support::conformance::{cases, read_cases};
use crate::support::demo_probe::reads_the_demo;
use crate::support::fixed_fields::read_fixed;
use crate::support::header_values::{
    GENERATED_PAIRS, GENERATED_VALUES, SEED, generated_responses, latin1, parse_fields, shown,
};
use crate::support::toolkit_values::{TOOLKIT_VALUES, reads_toolkit_values_as_parse};
use driver::WebKit;
use reading::Difference;

/// The suite's cases that WebKit reads otherwise than `parse` (and Chromium): a name followed
/// by `=` ([`Difference::StopsAfterName`]). WebKit reads them as the suite's 2018 generator
/// expected.
const CONFORMANCE_DIFFERENCES: &[&str] = &[r#"metric==   ""foo;dur=123.4"#, r#"metric1==   ""foo,metric2"#];

#[actix_web::test]
async fn webkit_reads_the_demo_and_hostile_timings_as_recorded() {
    let Some(webkit) = WebKit::find("webkit_reads_the_demo_and_hostile_timings_as_recorded") else {
        return;
    };
    reads_the_demo("WebKit", webkit, WebKit::dump_dom).await;
}

#[actix_web::test]
async fn webkit_and_parse_read_every_value_the_toolkit_writes_alike() {
    let Some(webkit) = WebKit::find("webkit_and_parse_read_every_value_the_toolkit_writes_alike") else {
        return;
    };
    reads_toolkit_values_as_parse("WebKit", webkit, WebKit::dump_dom, TOOLKIT_VALUES).await;
}

#[actix_web::test]
async fn webkit_reads_the_conformance_suite_as_parse_but_the_listed_cases() {
    let Some(webkit) = WebKit::find("webkit_reads_the_conformance_suite_as_parse_but_the_listed_cases")
    else {
        return;
    };
    let cases = cases();
    let read = read_cases(webkit, WebKit::dump_dom, &cases).await;
    let mut differing = Vec::new();
    for (case, browser) in cases.iter().zip(&read) {
        let fields = [case.header.as_bytes().to_vec()];
        assert_eq!(
            browser,
            &reading::read(&fields, &reading::ALL),
            "WebKit (left) and the model of its reading (right) read {:?}",
            case.header
        );
        assert_eq!(parse(&case.header), case.expected, "{:?}", case.header);
        if *browser != case.expected {
            assert_eq!(
                Some(browser),
                case.wpt_expected.as_ref(),
                "WebKit (left) read {:?} neither as `parse` nor as the 2018 generator",
                case.header
            );
            differing.push(case.header.as_str());
        }
    }
    assert_eq!(
        differing, CONFORMANCE_DIFFERENCES,
        "the suite's cases WebKit reads otherwise than `parse` (left), and those listed (right)"
    );
}

/// A metric as a browser exposes it.
fn metric(name: &str, duration: f64, description: &str) -> ParsedMetric {
    ParsedMetric {
        name: name.to_owned(),
        duration,
        description: description.to_owned(),
    }
}

#[actix_web::test]
async fn webkit_reads_the_examples_of_each_listed_difference_as_documented() {
    let Some(webkit) = WebKit::find("webkit_reads_the_examples_of_each_listed_difference_as_documented")
    else {
        return;
    };
    // Each value, the difference it shows, and what WebKit reads for it, as the difference's
    // documentation says.
    let examples: Vec<(&[u8], Difference, Vec<ParsedMetric>)> = vec![
        (
            b"a/x;dur=1, b",
            Difference::StopsAfterName,
            vec![metric("a", 0.0, "")],
        ),
        (b"a, {b}, c", Difference::RfcTokens, vec![metric("a", 0.0, "")]),
        (b"{a}", Difference::RfcTokens, vec![]),
        (b"a;dur=1e", Difference::NumberPrefix, vec![metric("a", 1.0, "")]),
        (b"a;dur=5x", Difference::NumberPrefix, vec![metric("a", 5.0, "")]),
        (
            b"a;dur=\" 2.5 \"",
            Difference::NumberPrefix,
            vec![metric("a", 2.5, "")],
        ),
        (
            b"a;desc=\"\xe9\"",
            Difference::Utf8Replaced,
            vec![metric("a", 0.0, "\u{ef}\u{bf}\u{bd}")],
        ),
        (
            b"a;desc=\"\xe9\x80\"",
            Difference::Utf8Replaced,
            vec![metric("a", 0.0, "\u{ef}\u{bf}\u{bd}\u{ef}\u{bf}\u{bd}")],
        ),
    ];
    // And values next to them that WebKit reads as `parse` does.
    let alike: &[&[u8]] = &[
        b"a;dur=1, b",
        b"a;dur=1e3",
        b"a;dur=\" 2.5\"",
        b"a;desc=\"\xc3\xa9\"",
    ];
    let responses: Vec<Vec<Vec<u8>>> = examples
        .iter()
        .map(|(value, ..)| *value)
        .chain(alike.iter().copied())
        .map(|value| vec![value.to_vec()])
        .collect();
    let read = read_fixed(webkit, WebKit::dump_dom, &Arc::new(responses)).await;
    for ((value, difference, expected), browser) in examples.iter().zip(&read) {
        let fields = [value.to_vec()];
        let shown = shown(value);
        assert_eq!(browser, expected, "WebKit (left) read {shown}");
        assert_eq!(
            &reading::read(&fields, &[*difference]),
            expected,
            "{difference:?} on {shown}"
        );
        assert_ne!(
            &parse(&latin1(value)),
            expected,
            "`parse` reads {shown} as WebKit does"
        );
    }
    for (value, browser) in alike.iter().zip(&read[examples.len()..]) {
        assert_eq!(
            browser,
            &parse(&latin1(value)),
            "WebKit (left) and `parse` (right) read {}",
            shown(value)
        );
    }
}

/// How many responses each [`Difference`] alone changes the reading of.
fn explained(responses: &[Vec<Vec<u8>>], parsed: &[Vec<ParsedMetric>]) -> Vec<(Difference, usize)> {
    reading::ALL
        .iter()
        .map(|&difference| {
            let changed = responses
                .iter()
                .zip(parsed)
                .filter(|(fields, parsed)| reading::read(fields, &[difference]) != **parsed)
                .count();
            (difference, changed)
        })
        .collect()
}

#[actix_web::test]
async fn webkit_reads_generated_values_as_parse_but_for_the_listed_differences() {
    let Some(webkit) = WebKit::find("webkit_reads_generated_values_as_parse_but_for_the_listed_differences")
    else {
        return;
    };
    let responses = generated_responses();
    let parsed: Vec<Vec<ParsedMetric>> = responses.iter().map(|fields| parse_fields(fields)).collect();
    let responses = Arc::new(responses);
    let read = read_fixed(webkit, WebKit::dump_dom, &responses).await;

    let mut differing = 0;
    for (i, ((fields, browser), parsed)) in responses.iter().zip(&read).zip(&parsed).enumerate() {
        let shown: Vec<String> = fields.iter().map(|f| shown(f)).collect();
        let shown = shown.join(" then ");
        // The model with no difference is `parse`, and with all of them WebKit: WebKit
        // differs from `parse` in the listed ways, and in no other.
        assert_eq!(
            &reading::read(fields, &[]),
            parsed,
            "response #{i}, {shown}: the model without differences (left) and `parse` (right)"
        );
        assert_eq!(
            browser,
            &reading::read(fields, &reading::ALL),
            "response #{i}, {shown}: WebKit (left) and the model of its reading (right)"
        );
        differing += usize::from(browser != parsed);
    }
    let explained = explained(&responses, &parsed);
    eprintln!(
        "{GENERATED_VALUES} generated values and {GENERATED_PAIRS} pairs (seed {SEED:#x}): WebKit reads \
         {differing} otherwise than `parse`; responses each difference alone changes: {explained:?}"
    );
    // Each listed difference shows up: should WebKit drop one, this says so.
    for (difference, changed) in explained {
        assert!(changed > 0, "no generated value shows {difference:?}");
    }
}
