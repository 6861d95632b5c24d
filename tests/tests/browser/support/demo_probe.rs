//! The pages every browser test loads from the demo: a probe page that opens the demo's page
//! and a hostile page in frames and fetches the demo's API and a hostile resource, and what
//! reading its report back needs.

use actix_web::{HttpResponse, web};

use super::exchanges::Exchange;
use super::hostile::{assert_hostile_entries, record_hostile};
use super::probe::{Kind, Observed, Probe, read_report};
use super::recorded::assert_as_recorded;
use super::server::{DemoUnderTest, html_page};
use super::toolkit_values::assert_written_form;

pub const PROBE: &str = "/__test/probe";
pub const HOSTILE: &str = "/__test/hostile";
pub const HOSTILE_PAGE: &str = "/__test/hostile-page";

/// The demo's API endpoints, as its page's buttons fetch them.
pub const DEMO_API: &[&str] = &["/api/orders", "/api/inventory", "/api/report", "/api/payments"];

/// The test routes added to the demo app: a probe page, and hostile recordings on a page
/// (a navigation) and on an API response (a resource).
pub fn test_routes(cfg: &mut web::ServiceConfig) {
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

/// The demo's page, its API calls and the hostile recordings, each loaded once by `browser`
/// (`dump_dom` gives a page's DOM once its report is written): `engine` read every one, as a
/// navigation or as a resource, exactly as recorded and in the writer's form. The
/// `Server-Timing` fields the toolkit sent for them, in the probe's order.
pub async fn reads_the_demo<B: Send + 'static>(
    engine: &'static str,
    browser: B,
    dump_dom: fn(&B, &str) -> String,
) -> Vec<Vec<String>> {
    let demo = DemoUnderTest::start(test_routes).await;
    let url = demo.app.url(PROBE);
    let dom = in_browser(move || dump_dom(&browser, &url)).await;
    let observed = read_report(&dom);
    let exchanges = demo.exchanges.all();
    demo.stop().await;

    let mut sent = Vec::new();
    let mut check = |seen: &Observed| {
        let exchange = exchange(&exchanges, seen.target());
        assert_as_recorded(engine, seen, &exchange);
        assert_written_form(engine, &exchange.sent.join(", "), &seen.server_timing);
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
        assert_hostile_entries(&hostile.server_timing);
    }
    sent
}

/// Runs `work` (a browser run, which blocks) off the runtime's thread, so the servers keep
/// answering; a panic in it fails the test with its own message.
pub async fn in_browser<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    actix_web::rt::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// The one entry the browser reports for `target` in `window`'s `kind` timeline.
pub fn seen<'a>(observed: &'a [Observed], window: usize, kind: Kind, target: &str) -> &'a Observed {
    let found: Vec<&Observed> = observed
        .iter()
        .filter(|o| o.window == window && o.kind == kind && o.target() == target)
        .collect();
    match found[..] {
        [one] => one,
        _ => panic!(
            "expected one {kind:?} entry for {target} in window {window}, found {found:#?}\nall: {observed:#?}"
        ),
    }
}

/// The one exchange the server logged for `target`.
pub fn exchange(exchanges: &[Exchange], target: &str) -> Exchange {
    let found: Vec<&Exchange> = exchanges.iter().filter(|e| e.target == target).collect();
    match found[..] {
        [one] => one.clone(),
        _ => panic!("expected one exchange for {target}, found {found:#?}"),
    }
}
