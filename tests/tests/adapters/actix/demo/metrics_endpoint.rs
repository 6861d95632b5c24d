//! The demo's `/metrics`: after some requests, a real Prometheus text (checked by `promtool
//! check metrics`) whose histograms count exactly the requests made, per metric and route,
//! whether the request's header was sent or not. Its own test binary: the `metrics` recorder
//! is process-wide.

mod actix_support;
mod prometheus_support;
mod tool_support;

use prometheus_support::{promtool_check, samples};
use server_timing_examples::demo::{self, telemetry::BUCKETS};
use server_timing_runtime::metrics::HISTOGRAM;

const REPORTS: usize = 7;
const PAGES: usize = 3;

#[actix_web::test]
async fn the_demo_serves_every_requests_metrics_to_prometheus() {
    let running = demo::start("127.0.0.1:0").await.unwrap();
    let client = actix_support::client();
    for _ in 0..REPORTS {
        let response = client
            .get(format!("{}api/report", running.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    for _ in 0..PAGES {
        let response = client.get(running.url()).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let response = client
        .get(format!("{}metrics", running.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    running.stop().await;

    promtool_check(&text);
    let samples = samples(&text);
    let count = |metric: &str, route: &str| {
        samples
            .get(&(
                format!("{HISTOGRAM}_count"),
                format!("metric=\"{metric}\",route=\"{route}\""),
            ))
            .copied()
            .unwrap_or_else(|| panic!("no count for {metric} on {route} in\n{text}"))
    };
    assert_eq!(count("total", "/api/report"), REPORTS as f64);
    assert_eq!(count("inventory", "/api/report"), REPORTS as f64);
    assert_eq!(count("total", "/"), PAGES as f64);
    // The aggregate ran once, for the first report (then the cache answered, also for the
    // page), and the page's own lookup every time.
    assert_eq!(count("db", "/api/report"), 1.0);
    assert!(!samples.contains_key(&(
        format!("{HISTOGRAM}_count"),
        "metric=\"db\",route=\"/\"".to_owned()
    )));
    assert_eq!(count("db-index", "/"), PAGES as f64);
    // Every bucket the demo configures is there, up to `+Inf`, which holds them all.
    for bound in BUCKETS.iter().map(f64::to_string).chain(["+Inf".to_owned()]) {
        let labels = format!("le=\"{bound}\",metric=\"total\",route=\"/\"");
        let bucket = samples.get(&(format!("{HISTOGRAM}_bucket"), labels.clone()));
        assert!(bucket.is_some(), "no bucket {labels} in\n{text}");
    }
    let all = samples[&(
        format!("{HISTOGRAM}_bucket"),
        "le=\"+Inf\",metric=\"total\",route=\"/\"".to_owned(),
    )];
    assert_eq!(all, PAGES as f64);
}
