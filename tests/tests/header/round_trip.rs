//! Hostile names and descriptions always give a valid header that a browser-exact parser reads
//! back as the documented sanitization of what was recorded.

use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use server_timing_runtime::{
    MAX_DESCRIPTION_LEN, MAX_NAME_LEN, Options, SERVER_TIMING, Timings, describe, parse, record,
    sanitize_description, sanitize_name,
};

const HOSTILE: &[&str] = &[
    "plain",
    "with space",
    "quote\"inside",
    "back\\slash",
    "\\\"both\"\\",
    "cr\rlf\nin",
    "nul\0byte",
    "tab\there",
    "comma,semi;colon=equals",
    "caf\u{e9} \u{2603} \u{1f600}",
    "",
    "\u{7f}del",
    "\"",
    "\\",
];

fn round_trip(name: &str, description: &str) {
    let timings = Timings::with_options(Options::new().no_total());
    timings.sync_scope(|| {
        record(name.to_owned(), Duration::from_micros(1500));
        describe(name.to_owned(), description.to_owned());
    });
    let value = timings.finish().expect("a metric was recorded");
    let text = value.to_str().expect("the value is visible ASCII");
    assert!(
        HeaderValue::from_str(text).is_ok(),
        "{name:?}/{description:?} gave an invalid value {text:?}"
    );
    let parsed = parse(text);
    assert_eq!(
        parsed.len(),
        1,
        "{name:?}/{description:?} -> {text:?} -> {parsed:?}"
    );
    assert_eq!(parsed[0].name, sanitize_name(name), "{text:?}");
    assert_eq!(
        parsed[0].description,
        sanitize_description(description),
        "{text:?}"
    );
    assert!((parsed[0].duration - 1.5).abs() < 1e-9, "{text:?}");
}

#[test]
fn hostile_names_and_descriptions_round_trip() {
    for name in HOSTILE {
        for description in HOSTILE {
            round_trip(name, description);
        }
    }
}

#[test]
fn very_long_text_is_cut_not_lost() {
    let megabyte = "x\"\\".repeat(350_000);
    round_trip(&megabyte, &megabyte);
    assert_eq!(sanitize_name(&megabyte).len(), MAX_NAME_LEN);
    assert_eq!(sanitize_description(&megabyte).len(), MAX_DESCRIPTION_LEN);
}

#[test]
fn appending_keeps_existing_fields_and_adds_one() {
    let mut headers = HeaderMap::new();
    headers.append(SERVER_TIMING, HeaderValue::from_static("cdn;dur=1"));
    headers.append(SERVER_TIMING, HeaderValue::from_static("edge;desc=\"x, y\""));
    headers.insert("content-type", HeaderValue::from_static("text/plain"));
    let timings = Timings::new();
    timings.sync_scope(|| record("app", Duration::from_millis(2)));
    assert!(timings.append_to(&mut headers));
    let fields: Vec<_> = headers
        .get_all(SERVER_TIMING)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(fields.len(), 3);
    assert_eq!(fields[..2], ["cdn;dur=1", "edge;desc=\"x, y\""]);
    assert!(fields[2].starts_with("total;dur=") && fields[2].ends_with(", app;dur=2"));
    assert_eq!(headers.len(), 4, "no other header appears");
    assert!(!timings.append_to(&mut headers), "a collector writes one header");
    assert_eq!(headers.get_all(SERVER_TIMING).iter().count(), 3);
}

#[test]
fn timing_allow_origin_is_absent_by_default_and_never_overwritten() {
    let mut headers = HeaderMap::new();
    Timings::new().append_to(&mut headers);
    assert!(!headers.contains_key("timing-allow-origin"));

    let options = Options::new()
        .timing_allow_origin(HeaderValue::from_static("https://a.example"))
        .timing_allow_origin(HeaderValue::from_static("https://b.example"));
    let mut headers = HeaderMap::new();
    Timings::with_options(options.clone()).append_to(&mut headers);
    let origins: Vec<_> = headers.get_all("timing-allow-origin").iter().collect();
    assert_eq!(origins, ["https://a.example", "https://b.example"]);

    let mut headers = HeaderMap::new();
    headers.insert("timing-allow-origin", HeaderValue::from_static("*"));
    Timings::with_options(options).append_to(&mut headers);
    let origins: Vec<_> = headers.get_all("timing-allow-origin").iter().collect();
    assert_eq!(origins, ["*"], "the application's own value stays");
}
