//! Headless Chromium, the engine `parse` follows: the demo and hostile recordings read as
//! recorded, the parsing suite, generated values and the toolkit's own values read as with
//! `parse`, and the demo page rendering its breakdowns, screenshot included.
//!
//! Without Chromium (`chromium` on PATH or `$CHROMIUM`) every test here skips with a loud
//! message, or fails when `SERVER_TIMING_REQUIRE_CHROMIUM=1` (CI sets it).

mod screenshot_page;

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::http::header::HeaderValue;
use server_timing_runtime::parse;

use crate::support::chromium::{Chromium, TempDir};
use crate::support::conformance::{cases, read_cases};
use crate::support::demo_probe::{exchange, in_browser, reads_the_demo};
use crate::support::fixed_fields::read_fixed;
use crate::support::header_values::{
    GENERATED_PAIRS, GENERATED_VALUES, SEED, generated_responses, parse_fields, shown,
};
use crate::support::server::DemoUnderTest;
use crate::support::toolkit_values::{TOOLKIT_VALUES, reads_toolkit_values_as_parse};
use screenshot_page::ScreenshotPage;

/// The demo page after it has fetched two endpoints and drawn their breakdowns (its `fetch`
/// query parameters do what its buttons do).
const DEMO_WITH_CALLS: &str = "/?fetch=/api/orders&fetch=/api/report";

/// The demo page as the README shows it: its own breakdown and one API call's.
const DEMO_FOR_README: &str = "/?fetch=/api/report";

#[actix_web::test]
async fn chromium_reads_the_demo_and_hostile_timings_as_recorded() {
    let Some(chromium) = Chromium::find("chromium_reads_the_demo_and_hostile_timings_as_recorded") else {
        return;
    };
    reads_the_demo("Chromium", chromium, Chromium::dump_dom).await;
}

/// Values of the `data-name` attributes between `from` and the next `until` in `html`.
fn data_names<'a>(html: &'a str, from: &str, until: &str) -> Vec<&'a str> {
    let start = html
        .find(from)
        .unwrap_or_else(|| panic!("no {from:?} in the page:\n{html}"));
    let section = &html[start..];
    let section = &section[..section.find(until).unwrap_or(section.len())];
    section
        .split("data-name=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

#[actix_web::test]
async fn the_demo_page_renders_the_breakdowns_it_reads() {
    let Some(chromium) = Chromium::find("the_demo_page_renders_the_breakdowns_it_reads") else {
        return;
    };
    let demo = DemoUnderTest::start(|_| {}).await;
    let url = demo.app.url(DEMO_WITH_CALLS);
    let dom = in_browser(move || chromium.dump_dom(&url)).await;
    assert!(
        dom.contains(r#"data-ready="true""#),
        "the page did not finish its fetches:\n{dom}"
    );
    let exchanges = demo.exchanges.all();
    let names_sent = |target: &str| -> Vec<String> {
        let sent = exchange(&exchanges, target).sent.join(", ");
        parse(&sent).into_iter().map(|m| m.name).collect()
    };
    assert_eq!(
        data_names(&dom, r#"id="navigation-cards""#, "</section>"),
        names_sent(DEMO_WITH_CALLS)
    );
    // Newest first; each call has its own `call` number in its URL.
    let report_card = r#"data-title="GET /api/report""#;
    let orders_card = r#"data-title="GET /api/orders""#;
    assert_eq!(
        data_names(&dom, report_card, "</article>"),
        names_sent("/api/report?call=2")
    );
    assert_eq!(
        data_names(&dom, orders_card, "</article>"),
        names_sent("/api/orders?call=1")
    );
    demo.stop().await;
}

/// A PNG file's width and height, from its header chunk.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if png.get(..8)? != SIGNATURE || png.get(12..16)? != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes(png.get(16..20)?.try_into().ok()?);
    let height = u32::from_be_bytes(png.get(20..24)?.try_into().ok()?);
    Some((width, height))
}

#[actix_web::test]
async fn a_screenshot_of_the_demo_page() {
    // The demo's breakdown of its own page and of one API call, in a picture of less than
    // 150 KB for the README.
    const WINDOW: (u32, u32) = (1000, 1190);
    const SCALE: f32 = 0.8;
    const PICTURE: (u32, u32) = (800, 952);
    let Some(chromium) = Chromium::find("a_screenshot_of_the_demo_page") else {
        return;
    };
    let page = ScreenshotPage::default();
    let demo = DemoUnderTest::start(page.routes(DEMO_FOR_README)).await;
    let scratch = TempDir::new("screenshot");
    // With SERVER_TIMING_UPDATE_SCREENSHOT=1 the README's picture is replaced (`cargo test -p
    // server-timing-tests --test browser chromium::a_screenshot_of_the_demo_page`).
    let file = if std::env::var_os("SERVER_TIMING_UPDATE_SCREENSHOT").is_some_and(|v| v == "1") {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/demo.png")
    } else {
        scratch.path().join("demo.png")
    };
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).expect("create the screenshot's directory");
    }
    let url = demo.app.url(screenshot_page::PAGE);
    let target = file.clone();
    in_browser(move || chromium.screenshot(&url, &target, WINDOW, SCALE)).await;
    assert!(
        page.released(),
        "the demo page never finished fetching and drawing its breakdowns"
    );
    let png = std::fs::read(&file).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", file.display()));
    assert_eq!(
        png_size(&png),
        Some(PICTURE),
        "{} is not a {PICTURE:?} PNG",
        file.display()
    );
    demo.stop().await;
}

#[actix_web::test]
async fn chromium_and_parse_read_generated_values_alike() {
    let Some(chromium) = Chromium::find("chromium_and_parse_read_generated_values_alike") else {
        return;
    };
    let responses = generated_responses();
    for value in responses.iter().flatten() {
        assert!(
            HeaderValue::from_bytes(value).is_ok(),
            "the generator made a value HTTP cannot carry: {}",
            shown(value)
        );
    }
    let responses = Arc::new(responses);
    let read = read_fixed(chromium, Chromium::dump_dom, &responses).await;

    let mut disagreements = Vec::new();
    let (mut entries, mut timed, mut described) = (0, 0, 0);
    for (i, (fields, browser)) in responses.iter().zip(&read).enumerate() {
        let parsed = parse_fields(fields);
        entries += browser.len();
        timed += browser.iter().filter(|m| m.duration != 0.0).count();
        described += browser.iter().filter(|m| !m.description.is_empty()).count();
        if *browser != parsed {
            let shown: Vec<String> = fields.iter().map(|f| shown(f)).collect();
            disagreements.push(format!(
                "response #{i}, fields {}\n  chromium: {browser:?}\n  parse:    {parsed:?}",
                shown.join(" then ")
            ));
        }
    }
    eprintln!(
        "{GENERATED_VALUES} generated values and {GENERATED_PAIRS} pairs (seed {SEED:#x}) compared: \
         {entries} entries, {timed} with a duration, {described} with a description"
    );
    assert!(
        disagreements.is_empty(),
        "Chromium and `parse` disagree on {} of {} responses (seed {SEED:#x}):\n{}",
        disagreements.len(),
        responses.len(),
        disagreements.join("\n")
    );
    // The values must exercise `dur` and `desc`, not only names and the error paths.
    assert!(
        timed >= GENERATED_VALUES / 4 && described >= GENERATED_VALUES / 4,
        "the generator made too few durations ({timed}) or descriptions ({described})"
    );
}

#[actix_web::test]
async fn chromium_and_parse_read_every_value_the_toolkit_writes_alike() {
    let Some(chromium) = Chromium::find("chromium_and_parse_read_every_value_the_toolkit_writes_alike")
    else {
        return;
    };
    reads_toolkit_values_as_parse("Chromium", chromium, Chromium::dump_dom, TOOLKIT_VALUES).await;
}

#[actix_web::test]
async fn chromium_reads_every_conformance_case_as_expected() {
    let Some(chromium) = Chromium::find("chromium_reads_every_conformance_case_as_expected") else {
        return;
    };
    let cases = cases();
    let read = read_cases(chromium, Chromium::dump_dom, &cases).await;
    for (case, browser) in cases.iter().zip(&read) {
        assert_eq!(browser, &case.expected, "Chromium (left) read {:?}", case.header);
        // The noted cases: Chromium, not the suite's 2018 generator.
        assert_ne!(Some(browser), case.wpt_expected.as_ref(), "{:?}", case.header);
    }
}
