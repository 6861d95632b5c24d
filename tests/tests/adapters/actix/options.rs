//! End-to-end: each `actix::ServerTiming` builder option, seen in the response a real client
//! gets.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::{Options, Repeated, describe, record, server_timing};
use server_timing_tests::actix_server::serve;
use server_timing_tests::clients::client;
use server_timing_tests::entries::{Entry, entries, last_entries};
use server_timing_tests::names::{find, names};

#[server_timing("db", desc = "DB read")]
fn query() {}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/fixed",
        web::get().to(|| async {
            record("fixed", Duration::from_nanos(1_234_567));
            HttpResponse::Ok().finish()
        }),
    )
    .route(
        "/repeated",
        web::get().to(|| async {
            record("db", Duration::from_millis(1));
            record("db", Duration::from_millis(2));
            HttpResponse::Ok().finish()
        }),
    )
    .route(
        "/many",
        web::get().to(|| async {
            for i in 0..40 {
                record(format!("metric-{i:02}"), Duration::from_millis(1));
            }
            HttpResponse::Ok().finish()
        }),
    )
    .route(
        "/described",
        web::get().to(|| async {
            describe("cache", "hit");
            query();
            HttpResponse::Ok().finish()
        }),
    )
    .route(
        "/own-origin",
        web::get().to(|| async {
            HttpResponse::Ok()
                .insert_header(("timing-allow-origin", "https://mine.example"))
                .finish()
        }),
    );
}

/// The response of `path` from a server wrapped in `timing`.
async fn fetch(timing: ServerTiming, path: &str) -> reqwest::Response {
    let server = serve(timing, routes);
    let response = client().get(server.url(path)).send().await.unwrap();
    server.stop().await;
    response
}

async fn entries_of(timing: ServerTiming, path: &str) -> Vec<Entry> {
    last_entries(&fetch(timing, path).await)
}

#[actix_web::test]
async fn precision_sets_the_decimals_of_dur() {
    let default = entries_of(ServerTiming::new(), "/fixed").await;
    assert_eq!(find(&default, "fixed").dur.as_deref(), Some("1.235"));
    let one = entries_of(ServerTiming::new().precision(1), "/fixed").await;
    assert_eq!(find(&one, "fixed").dur.as_deref(), Some("1.2"));
    let six = entries_of(ServerTiming::new().precision(6), "/fixed").await;
    assert_eq!(find(&six, "fixed").dur.as_deref(), Some("1.234567"));
}

#[actix_web::test]
async fn repeated_names_are_summed_unless_each_is_asked_for() {
    let aggregated = entries_of(ServerTiming::new(), "/repeated").await;
    assert_eq!(names(&aggregated), ["total", "db"]);
    assert_eq!(aggregated[1].dur.as_deref(), Some("3"));
    assert_eq!(aggregated[1].desc.as_deref(), Some("2 calls"));

    let each = entries_of(ServerTiming::new().repeated(Repeated::Each), "/repeated").await;
    assert_eq!(names(&each), ["total", "db", "db"]);
    assert_eq!(each[1].dur.as_deref(), Some("1"));
    assert_eq!(each[2].dur.as_deref(), Some("2"));
}

#[actix_web::test]
async fn max_metrics_keeps_the_first_and_counts_the_rest() {
    let entries = entries_of(ServerTiming::new().max_metrics(2), "/many").await;
    assert_eq!(names(&entries), ["total", "metric-00", "metric-01", "omitted"]);
    assert_eq!(entries[3].desc.as_deref(), Some("38 metrics"));
}

#[actix_web::test]
async fn the_header_budget_bounds_the_value_and_says_what_was_left_out() {
    let all = entries_of(ServerTiming::new(), "/many").await;
    assert_eq!(all.len(), 41);

    let response = fetch(ServerTiming::new().header_budget(128), "/many").await;
    let value = response.headers()["server-timing"].to_str().unwrap().to_owned();
    assert!(value.len() <= 128, "{} bytes: {value}", value.len());
    let entries = entries(&value);
    let omitted = entries.last().unwrap();
    assert_eq!(omitted.name, "omitted");
    let kept = entries.iter().filter(|e| e.name.starts_with("metric-")).count();
    assert!(kept > 0, "{value}");
    assert_eq!(omitted.desc, Some(format!("{} metrics", 40 - kept)));
}

#[actix_web::test]
async fn descriptions_can_be_withheld() {
    let sent = entries_of(ServerTiming::new(), "/described").await;
    assert_eq!(find(&sent, "cache").desc.as_deref(), Some("hit"));
    assert_eq!(find(&sent, "db").desc.as_deref(), Some("DB read"));

    let timing = ServerTiming::new()
        .descriptions(false)
        .total_description("Whole request");
    let withheld = entries_of(timing, "/described").await;
    assert_eq!(names(&withheld), ["total", "cache", "db"]);
    assert!(withheld.iter().all(|e| e.desc.is_none()), "{withheld:?}");
}

#[actix_web::test]
async fn the_total_metric_can_be_renamed_described_or_left_out() {
    let renamed = entries_of(ServerTiming::new().total("app"), "/fixed").await;
    assert_eq!(names(&renamed), ["app", "fixed"]);
    assert!(renamed[0].dur.is_some());

    let described = entries_of(ServerTiming::new().total_description("Whole request"), "/fixed").await;
    assert_eq!(described[0].name, "total");
    assert_eq!(described[0].desc.as_deref(), Some("Whole request"));

    let none = entries_of(ServerTiming::new().no_total(), "/fixed").await;
    assert_eq!(names(&none), ["fixed"]);
}

#[actix_web::test]
async fn timing_allow_origin_is_sent_unless_the_application_set_one() {
    let timing = ServerTiming::new()
        .timing_allow_origin(http::HeaderValue::from_static("https://a.example"))
        .timing_allow_origin(http::HeaderValue::from_static("https://b.example"));
    let tao = |response: &reqwest::Response| -> Vec<String> {
        response
            .headers()
            .get_all("timing-allow-origin")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    };

    let response = fetch(ServerTiming::new(), "/fixed").await;
    assert!(tao(&response).is_empty());

    let response = fetch(timing.clone(), "/fixed").await;
    assert_eq!(tao(&response), ["https://a.example", "https://b.example"]);

    let response = fetch(timing, "/own-origin").await;
    assert_eq!(tao(&response), ["https://mine.example"]);
    assert!(response.headers().contains_key("server-timing"));
}

#[actix_web::test]
async fn options_replaces_every_setting_at_once() {
    let timing = ServerTiming::new()
        .total("app")
        .options(Options::new().no_total().precision(1));
    let entries = entries_of(timing, "/fixed").await;
    assert_eq!(names(&entries), ["fixed"]);
    assert_eq!(entries[0].dur.as_deref(), Some("1.2"));
}
