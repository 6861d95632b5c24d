//! The demo's `/metrics`: after some requests, a real Prometheus text (checked by `promtool
//! check metrics`) whose histograms count exactly the requests made, per metric and route,
//! whether the request's header was sent or not. The `metrics` recorder is process-wide and
//! the other demos of this binary record into it too: the counts read are the growth over
//! this test's own requests, made while no other demo runs.

use std::collections::BTreeMap;

use server_timing_examples::demo::{self, telemetry::BUCKETS};
use server_timing_runtime::metrics::HISTOGRAM;
use server_timing_tests::clients::client;
use server_timing_tests::prometheus::{promtool_check, samples};

const REPORTS: usize = 7;
const PAGES: usize = 3;

/// The demo's `/metrics` text, checked to be served as Prometheus text.
async fn scrape(client: &reqwest::Client, running: &demo::Running) -> String {
    let response = client
        .get(format!("{}metrics", running.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    response.text().await.unwrap()
}

#[actix_web::test]
async fn the_demo_serves_every_requests_metrics_to_prometheus() {
    let _alone = super::exclusive().await;
    let running = demo::start("127.0.0.1:0").await.unwrap();
    let client = client();
    let before = samples(&scrape(&client, &running).await);
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
    let text = scrape(&client, &running).await;
    running.stop().await;

    promtool_check(&text);
    let samples = samples(&text);
    // What this test's requests added to a series: none of it was there before them.
    let grown = |series: &(String, String)| -> Option<f64> {
        let now = samples.get(series).copied()?;
        Some(now - before.get(series).copied().unwrap_or(0.0))
    };
    let count_series = |metric: &str, route: &str| {
        (
            format!("{HISTOGRAM}_count"),
            format!("metric=\"{metric}\",route=\"{route}\""),
        )
    };
    let count = |metric: &str, route: &str| {
        grown(&count_series(metric, route))
            .unwrap_or_else(|| panic!("no count for {metric} on {route} in\n{text}"))
    };
    assert_eq!(count("total", "/api/report"), REPORTS as f64);
    assert_eq!(count("inventory", "/api/report"), REPORTS as f64);
    assert_eq!(count("total", "/"), PAGES as f64);
    // The aggregate ran once, for the first report (then the cache answered, also for the
    // page), and the page's own lookup every time.
    assert_eq!(count("db", "/api/report"), 1.0);
    assert_eq!(
        grown(&count_series("db", "/")).unwrap_or(0.0),
        0.0,
        "no db for the page in\n{text}"
    );
    assert_eq!(count("db-index", "/"), PAGES as f64);
    // Every bucket the demo configures is there, up to `+Inf`, which holds them all.
    let buckets: BTreeMap<String, Option<f64>> = BUCKETS
        .iter()
        .map(f64::to_string)
        .chain(["+Inf".to_owned()])
        .map(|bound| {
            let labels = format!("le=\"{bound}\",metric=\"total\",route=\"/\"");
            let bucket = grown(&(format!("{HISTOGRAM}_bucket"), labels));
            (bound, bucket)
        })
        .collect();
    for (bound, bucket) in &buckets {
        assert!(bucket.is_some(), "no bucket le={bound} for total on / in\n{text}");
    }
    assert_eq!(buckets["+Inf"], Some(PAGES as f64));
}
