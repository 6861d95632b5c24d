//! `metrics::histograms()` behind a real Prometheus exporter (metrics-exporter-prometheus), as
//! the demo serves it: an actix app with `/metrics`. After some requests its text is checked
//! by `promtool check metrics` (Debian's `prometheus` package) and read back: every bucket
//! and count matches the requests made.
//!
//! Without promtool the check is skipped, loudly; with `SERVER_TIMING_REQUIRE_PROMTOOL=1` (CI)
//! it fails instead.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::metrics::{HISTOGRAM, histograms};
use server_timing_runtime::server_timing;
use server_timing_tests::prometheus::{promtool_check, samples};

const BUCKETS: [f64; 6] = [0.001, 0.005, 0.025, 0.1, 0.5, 2.5];
const DB: Duration = Duration::from_millis(6);
const USERS: usize = 20;
const MISSING: usize = 5;

#[server_timing("db", desc = "DB read")]
async fn load_user(id: u32) -> String {
    actix_web::rt::time::sleep(DB).await;
    format!("user {id}")
}

async fn user(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().body(load_user(*id).await)
}

async fn scrape(handle: web::Data<PrometheusHandle>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}

#[actix_web::test]
async fn the_metrics_endpoint_serves_a_histogram_per_metric_and_route() {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HISTOGRAM.to_owned()), &BUCKETS)
        .unwrap()
        .install_recorder()
        .expect("the only recorder of this test binary");
    let timing = ServerTiming::new().on_complete(histograms());
    let routes = {
        let handle = web::Data::new(handle);
        move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(handle.clone())
                .route("/user/{id}", web::get().to(user))
                .route("/metrics", web::get().to(scrape));
        }
    };
    let server = server_timing_tests::actix_server::serve(timing, routes);
    let client = server_timing_tests::clients::client();
    for id in 0..USERS {
        let response = client
            .get(server.url(&format!("/user/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    for _ in 0..MISSING {
        let response = client.get(server.url("/nowhere")).send().await.unwrap();
        assert_eq!(response.status(), 404);
    }
    // The hook runs as each response leaves the middleware, before the client has it.
    let response = client.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    server.stop().await;

    promtool_check(&text);
    assert!(text.contains(&format!("# TYPE {HISTOGRAM} histogram")), "{text}");
    let samples = samples(&text);
    let get = |suffix: &str, labels: &str| {
        *samples
            .get(&(format!("{HISTOGRAM}{suffix}"), labels.to_owned()))
            .unwrap_or_else(|| panic!("no {HISTOGRAM}{suffix}{{{labels}}} in\n{text}"))
    };
    let users = USERS as f64;
    for metric in ["db", "total"] {
        let labels = format!("metric=\"{metric}\",route=\"/user/{{id}}\"");
        assert_eq!(get("_count", &labels), users, "{metric}");
        let mut last = 0.0;
        for bound in BUCKETS {
            let count = get("_bucket", &format!("le=\"{bound}\",{labels}"));
            assert!(count >= last, "{metric}: buckets only grow: {count} after {last}");
            // Every `db` call slept `DB`: none is at or under 1 ms.
            if metric == "db" && Duration::from_secs_f64(bound) < DB {
                assert_eq!(count, 0.0, "{metric} le={bound}");
            }
            last = count;
        }
        assert_eq!(
            get("_bucket", &format!("le=\"+Inf\",{labels}")),
            users,
            "{metric}"
        );
        assert!(get("_sum", &labels) >= users * DB.as_secs_f64(), "{metric}");
    }
    // A 404 knows no route and records only `total`.
    let missing = "metric=\"total\"";
    assert_eq!(get("_count", missing), MISSING as f64);
    assert!(
        !samples
            .keys()
            .any(|(name, labels)| name.starts_with(HISTOGRAM) && labels.contains("/nowhere")),
        "a path is never a label"
    );
}
