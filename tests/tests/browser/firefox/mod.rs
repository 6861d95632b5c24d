//! Headless Firefox ESR (Gecko) over WebDriver BiDi: the demo and hostile recordings read as
//! recorded and byte for byte as in Chromium, the toolkit's own values as with `parse`, and
//! malformed values otherwise than `parse` only in the ways `parse`'s docs list.
//!
//! Needs `firefox-esr` (or `$FIREFOX`), `node`, and `npm ci` run in `tests/firefox/`; without
//! them every test here skips with a loud message, or fails when
//! `SERVER_TIMING_REQUIRE_FIREFOX=1` (CI sets it).

mod driver;

use std::sync::Arc;

use server_timing_runtime::{ParsedMetric, parse};

use crate::support::chromium::Chromium;
use crate::support::demo_probe::reads_the_demo;
use crate::support::fixed_fields::read_fixed;
use crate::support::header_values::{GENERATED_VALUES, HeaderValues, SEED, latin1};
use crate::support::toolkit_values::{TOOLKIT_VALUES, reads_toolkit_values_as_parse};
use driver::Firefox;

#[actix_web::test]
async fn firefox_reads_the_demo_and_hostile_timings_as_recorded_and_as_chromium_does() {
    let test = "firefox_reads_the_demo_and_hostile_timings_as_recorded_and_as_chromium_does";
    let Some(firefox) = Firefox::find(test) else {
        return;
    };
    let sent = reads_the_demo("Firefox", firefox.clone(), Firefox::dump_dom).await;

    // The very fields the toolkit sent, replayed byte for byte to both engines.
    let Some(chromium) = Chromium::find(test) else {
        return;
    };
    let responses: Vec<Vec<Vec<u8>>> = sent
        .iter()
        .map(|fields| fields.iter().map(|f| f.as_bytes().to_vec()).collect())
        .collect();
    let responses = Arc::new(responses);
    let in_firefox = read_fixed(firefox, Firefox::dump_dom, &responses).await;
    let in_chromium = read_fixed(chromium, Chromium::dump_dom, &responses).await;
    for (i, fields) in sent.iter().enumerate() {
        assert_eq!(
            in_firefox[i], in_chromium[i],
            "Firefox (left) and Chromium (right) read {fields:?}"
        );
        assert!(!in_firefox[i].is_empty(), "{fields:?}");
    }
}

#[actix_web::test]
async fn firefox_and_parse_read_every_value_the_toolkit_writes_alike() {
    let Some(firefox) = Firefox::find("firefox_and_parse_read_every_value_the_toolkit_writes_alike") else {
        return;
    };
    reads_toolkit_values_as_parse("Firefox", firefox, Firefox::dump_dom, TOOLKIT_VALUES).await;
}

/// How Firefox's reading of a malformed value relates to `parse`'s (Chromium's).
#[derive(Debug, Default)]
struct Differences {
    /// Read alike.
    same: usize,
    /// Alike once the bytes are decoded as Firefox decodes them: UTF-8, invalid sequences
    /// replaced, where Chromium (and `parse_headers`) read ISO-8859-1.
    decoding: usize,
    /// `parse` stops at an entry it cannot read a name from; Firefox reads on: `parse` gives
    /// the start of what Firefox gives.
    reads_on: usize,
    /// Firefox's tokenizer reads the broken entry itself differently (a quoted string inside
    /// skipped junk, a parameter after an empty one).
    other: usize,
}

#[actix_web::test]
async fn firefox_reads_malformed_values_as_documented() {
    let Some(firefox) = Firefox::find("firefox_reads_malformed_values_as_documented") else {
        return;
    };
    let mut generator = HeaderValues::new(SEED);
    let values: Vec<Vec<u8>> = (0..GENERATED_VALUES).map(|_| generator.value()).collect();
    let responses = Arc::new(values.iter().map(|v| vec![v.clone()]).collect::<Vec<_>>());
    let in_firefox = read_fixed(firefox, Firefox::dump_dom, &responses).await;

    let mut seen = Differences::default();
    for (value, browser) in values.iter().zip(&in_firefox) {
        let parsed = parse(&latin1(value));
        let as_firefox_decodes = parse(&String::from_utf8_lossy(value));
        let prefix =
            |parsed: &[ParsedMetric]| parsed.len() < browser.len() && browser[..parsed.len()] == *parsed;
        if *browser == parsed {
            seen.same += 1;
        } else if *browser == as_firefox_decodes {
            seen.decoding += 1;
        } else if prefix(&parsed) || prefix(&as_firefox_decodes) {
            seen.reads_on += 1;
        } else {
            seen.other += 1;
        }
    }
    eprintln!("{GENERATED_VALUES} generated values (seed {SEED:#x}), Firefox against `parse`: {seen:?}");
    // Well-formed values are read alike (the toolkit's own are checked exactly above), and
    // each documented difference shows up: should Firefox change, this says so.
    assert!(seen.same >= GENERATED_VALUES / 3, "{seen:?}");
    assert!(seen.decoding > 0 && seen.reads_on > 0, "{seen:?}");
    assert!(seen.other < GENERATED_VALUES / 5, "{seen:?}");
}
