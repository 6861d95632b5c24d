//! The second browser engine: headless Firefox ESR (Gecko), driven over WebDriver BiDi. What
//! `PerformanceServerTiming` exposes for the demo's page and API calls and for hostile
//! recordings is exactly what the server recorded; every header the toolkit emitted there
//! reads back the same in Firefox as in Chromium; and on generated header values Firefox and
//! `parse` agree, except where Firefox goes on parsing past a broken entry (see `parse`'s
//! docs), which is checked to be the only kind of difference.
//!
//! Needs `firefox-esr` (or `$FIREFOX`), `node`, and `npm ci` run in `tests/firefox/`; without
//! them every test here skips with a loud message, or fails when
//! `SERVER_TIMING_REQUIRE_FIREFOX=1` (CI sets it).

// The Chromium harness is shared with tests/browser.rs; this binary uses its servers, pages
// and generators, and Chromium only for the cross-engine comparison.
#[allow(dead_code)]
mod browser_support;
mod firefox_support;

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use browser_support::chromium::Chromium;
use browser_support::exchanges::Exchange;
use browser_support::header_values::{latin1, shown, HeaderValues};
use browser_support::hostile::{hostile_expected, record_hostile, MACRO_DESCRIPTION};
use browser_support::probe::{read_report, Kind, Observed, Probe};
use browser_support::server::{html_page, response_path, serve_header_fields, DemoUnderTest};
use firefox_support::Firefox;
use server_timing_runtime::{
    parse, parse_headers, ParsedMetric, DEFAULT_PRECISION, DEFAULT_TOTAL_NAME, SERVER_TIMING,
};

const PROBE: &str = "/__test/probe";
const HOSTILE: &str = "/__test/hostile";
const HOSTILE_PAGE: &str = "/__test/hostile-page";

/// The demo's API endpoints, as its page's buttons fetch them.
const DEMO_API: &[&str] = &["/api/orders", "/api/inventory", "/api/report", "/api/payments"];

/// The same seed and counts as tests/browser.rs, so both engines see the same values.
const SEED: u64 = 0x5345_5256_4552_5449;
const GENERATED_VALUES: usize = 400;
const GENERATED_PAIRS: usize = 100;

/// A probe page that loads the demo page and the hostile page in frames and fetches the demo's
/// API and the hostile resource.
fn test_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        PROBE,
        web::get().to(|| async {
            let frames = ["/".to_owned(), HOSTILE_PAGE.to_owned()];
            let fetches: Vec<String> = DEMO_API
                .iter()
                .map(|&path| path.to_owned())
                .chain([HOSTILE.to_owned()])
                .collect();
            html_page(
                Probe {
                    frames: &frames,
                    fetches: &fetches,
                }
                .html(),
            )
        }),
    )
    .route(
        HOSTILE,
        web::get().to(|| async {
            record_hostile();
            HttpResponse::Ok().body("hostile")
        }),
    )
    .route(
        HOSTILE_PAGE,
        web::get().to(|| async {
            record_hostile();
            html_page("<!doctype html><title>hostile</title><p>hostile".to_owned())
        }),
    );
}

/// Runs `work` (a browser run, which blocks) off the runtime's thread, so the servers keep
/// answering; a panic in it fails the test with its own message.
async fn in_browser<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    actix_web::rt::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// The one entry the browser reports for `target` in `window`'s `kind` timeline.
fn seen<'a>(observed: &'a [Observed], window: usize, kind: Kind, target: &str) -> &'a Observed {
    let found: Vec<&Observed> = observed
        .iter()
        .filter(|o| o.window == window && o.kind == kind && o.target() == target)
        .collect();
    match found[..] {
        [one] => one,
        _ => panic!("expected one {kind:?} entry for {target} in window {window}, found {found:#?}\nall: {observed:#?}"),
    }
}

fn exchange(exchanges: &[Exchange], target: &str) -> Exchange {
    let found: Vec<&Exchange> = exchanges.iter().filter(|e| e.target == target).collect();
    match found[..] {
        [one] => one.clone(),
        _ => panic!("expected one exchange for {target}, found {found:#?}"),
    }
}

/// Firefox read exactly what the server recorded: `total`, then every recorded metric in
/// order with its name, description and duration at the configured precision; and `parse`
/// reads the sent fields as Firefox did.
fn assert_as_recorded(seen: &Observed, exchange: &Exchange) {
    let sent = exchange.sent.join(", ");
    let browser = &seen.server_timing;
    assert_eq!(
        browser,
        &parse(&sent),
        "{}: Firefox (left) and `parse` (right) read {sent:?}",
        seen.url
    );
    let recorded = exchange
        .recorded
        .as_ref()
        .unwrap_or_else(|| panic!("{}: the request had no collector", seen.url));
    let (total, rest) = browser
        .split_first()
        .unwrap_or_else(|| panic!("{}: no serverTiming entries; sent {sent:?}", seen.url));
    assert_eq!(total.name, DEFAULT_TOTAL_NAME, "{}: {browser:#?}", seen.url);
    assert_eq!(
        rest.len(),
        recorded.len(),
        "{}: {rest:#?} vs {recorded:#?}",
        seen.url
    );
    let half_unit = 0.5 / 10f64.powi(i32::from(DEFAULT_PRECISION));
    for (browser, metric) in rest.iter().zip(recorded) {
        let context = format!("{}: Firefox {browser:?}, recorded {metric:?}", seen.url);
        assert_eq!(browser.name, metric.name(), "{context}");
        let millis = metric
            .duration()
            .map(|d| d.as_secs_f64() * 1e3)
            .or(metric.value())
            .unwrap_or(0.0);
        assert!((browser.duration - millis).abs() <= half_unit + 1e-9, "{context}");
        let description = metric.description().unwrap_or_default();
        if metric.count() <= 1 {
            assert_eq!(browser.description, description, "{context}");
        } else {
            assert!(browser.description.starts_with(description), "{context}");
            assert!(
                browser.description.contains(&format!("{} calls", metric.count())),
                "{context}"
            );
        }
    }
}

/// The demo's page, its API calls and the hostile recordings, each loaded once in Firefox.
/// The `Server-Timing` fields the toolkit sent for them, in the probe's order.
async fn firefox_reads_the_demo(firefox: Firefox) -> Vec<Vec<String>> {
    let demo = DemoUnderTest::start(test_routes);
    let url = demo.app.url(PROBE);
    let dom = in_browser(move || firefox.dump_dom(&url)).await;
    let observed = read_report(&dom);
    let exchanges = demo.exchanges.all();
    demo.stop().await;

    let mut sent = Vec::new();
    let mut check = |seen: &Observed| {
        let exchange = exchange(&exchanges, seen.target());
        assert_as_recorded(seen, &exchange);
        sent.push(exchange.sent.clone());
    };
    check(seen(&observed, 0, Kind::Navigation, PROBE));
    check(seen(&observed, 1, Kind::Navigation, "/"));
    for &path in DEMO_API {
        check(seen(&observed, 0, Kind::Resource, path));
    }
    let hostile_page = seen(&observed, 2, Kind::Navigation, HOSTILE_PAGE);
    let hostile_api = seen(&observed, 0, Kind::Resource, HOSTILE);
    for hostile in [hostile_page, hostile_api] {
        check(hostile);
        let expected = hostile_expected();
        let entries = &hostile.server_timing;
        assert_eq!(entries.len(), expected.len() + 2, "{entries:#?}");
        assert_eq!(&entries[1..=expected.len()], &expected[..]);
        let by_attribute = &entries[expected.len() + 1];
        assert_eq!(
            (by_attribute.name.as_str(), by_attribute.description.as_str()),
            ("macro", MACRO_DESCRIPTION)
        );
    }
    sent
}

/// What `browser` reads for each of `responses` (its fields, in order), served as they are.
async fn read_fixed<B: Send + 'static>(
    browser: B,
    dump_dom: fn(&B, &str) -> String,
    responses: &Arc<Vec<Vec<Vec<u8>>>>,
) -> Vec<Vec<ParsedMetric>> {
    let server = serve_header_fields(responses.clone());
    let url = server.url("/probe");
    let dom = in_browser(move || dump_dom(&browser, &url)).await;
    server.stop().await;
    let observed = read_report(&dom);
    (0..responses.len())
        .map(|i| {
            seen(&observed, 0, Kind::Resource, &response_path(i))
                .server_timing
                .clone()
        })
        .collect()
}

#[actix_web::test]
async fn firefox_reads_the_demo_and_hostile_timings_as_recorded_and_as_chromium_does() {
    let test = "firefox_reads_the_demo_and_hostile_timings_as_recorded_and_as_chromium_does";
    let Some(firefox) = Firefox::find(test) else {
        return;
    };
    let sent = firefox_reads_the_demo(firefox.clone()).await;

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

/// Whether `parse`'s reading differs from Firefox's only as documented: Chromium (and
/// `parse`) stop at an entry whose name cannot be read, where Firefox skips it and reads on,
/// so `parse` gives a prefix of what Firefox gives.
fn only_firefox_reads_on(parsed: &[ParsedMetric], firefox: &[ParsedMetric]) -> bool {
    parsed.len() < firefox.len() && firefox[..parsed.len()] == *parsed
}

#[actix_web::test]
async fn firefox_and_parse_read_generated_values_alike_up_to_a_broken_entry() {
    let Some(firefox) = Firefox::find("firefox_and_parse_read_generated_values_alike_up_to_a_broken_entry")
    else {
        return;
    };
    let mut generator = HeaderValues::new(SEED);
    let mut responses: Vec<Vec<Vec<u8>>> = (0..GENERATED_VALUES).map(|_| vec![generator.value()]).collect();
    responses.extend((0..GENERATED_PAIRS).map(|_| vec![generator.value(), generator.value()]));
    let responses = Arc::new(responses);
    let in_firefox = read_fixed(firefox, Firefox::dump_dom, &responses).await;

    let (mut same, mut reads_on) = (0, 0);
    let mut disagreements = Vec::new();
    for (i, (fields, browser)) in responses.iter().zip(&in_firefox).enumerate() {
        let parsed = match &fields[..] {
            [value] => parse(&latin1(value)),
            _ => {
                let mut headers = http::HeaderMap::new();
                for field in fields {
                    let field =
                        http::HeaderValue::from_bytes(field).expect("the generator's values are valid");
                    headers.append(SERVER_TIMING, field);
                }
                parse_headers(&headers)
            }
        };
        if *browser == parsed {
            same += 1;
        } else if only_firefox_reads_on(&parsed, browser) {
            reads_on += 1;
        } else {
            let shown: Vec<String> = fields.iter().map(|f| shown(f)).collect();
            disagreements.push(format!(
                "response #{i}, fields {}\n  firefox: {browser:?}\n  parse:   {parsed:?}",
                shown.join(" then ")
            ));
        }
    }
    eprintln!(
        "{} generated responses (seed {SEED:#x}): Firefox and `parse` read {same} alike, and {reads_on} \
         alike up to a broken entry that Firefox reads past",
        responses.len()
    );
    assert!(
        disagreements.is_empty(),
        "Firefox and `parse` disagree otherwise on {} responses:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(same >= responses.len() / 2, "too few values read alike: {same}");
}
