//! `metrics::histograms()`: what reaches the `metrics` facade, read back from metrics-util's
//! debugging recorder (installed for this thread: every request here runs on it).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::routing::get;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use server_timing_runtime::metrics::{HISTOGRAM, Histograms, OMITTED_COUNTER, OTHER, histograms};
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{Completed, Options, describe, record, server_timing};
use tower::ServiceExt as _;

#[server_timing("db", desc = "DB read")]
fn query() {
    std::thread::sleep(Duration::from_millis(1));
}

/// Metric name to label set (as `k=v` joined by `,`) to what was recorded under it. A snapshot
/// drains the histograms: take one per test.
fn snapshot(snapshotter: &Snapshotter) -> BTreeMap<String, BTreeMap<String, DebugValue>> {
    let mut all: BTreeMap<String, BTreeMap<String, DebugValue>> = BTreeMap::new();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let mut labels: Vec<String> = key
            .key()
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        labels.sort();
        all.entry(key.key().name().to_owned())
            .or_default()
            .insert(labels.join(","), value);
    }
    all
}

fn observations(value: &DebugValue) -> Vec<f64> {
    match value {
        DebugValue::Histogram(values) => values.iter().map(|v| v.into_inner()).collect(),
        other => panic!("not a histogram: {other:?}"),
    }
}

/// `GET uri` through an axum app with the layer, in process, on this thread.
async fn request(hook: impl Fn(&Completed<'_>) + Send + Sync + 'static, options: Options, uri: &str) {
    let app = axum::Router::new()
        .route(
            "/user/{id}",
            get(|| async {
                query();
                query();
                describe("cache", "miss");
                record(format!("shard{}", 7), Duration::from_millis(3));
                record(String::from("allowed_dyn"), Duration::from_millis(4));
                "ok"
            }),
        )
        .layer(ServerTimingLayer::new().options(options).on_complete(hook));
    let response = app
        .oneshot(http::Request::get(uri).body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The hook runs at the body's end.
    let body = axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
    assert_eq!(body, "ok");
}

#[tokio::test]
async fn each_duration_goes_into_the_histogram_labelled_by_metric_and_route() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    let hook = Histograms::new().allow("allowed_dyn").build();
    request(hook, Options::new(), "/user/1").await;

    let all = snapshot(&snapshotter);
    let series = &all[HISTOGRAM];
    let keys: Vec<&str> = series.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "metric=allowed_dyn,route=/user/{id}",
            "metric=db,route=/user/{id}",
            "metric=other,route=/user/{id}",
            "metric=total,route=/user/{id}",
        ],
        "a description alone (`cache`) has no duration: not recorded"
    );
    let db = observations(&series["metric=db,route=/user/{id}"]);
    assert_eq!(
        db.len(),
        1,
        "one observation per request, the calls summed: {db:?}"
    );
    assert!(db[0] >= 0.002, "seconds: {db:?}");
    assert_eq!(observations(&series["metric=other,route=/user/{id}"]), [0.003]);
    assert_eq!(
        observations(&series["metric=allowed_dyn,route=/user/{id}"]),
        [0.004]
    );
    let total = observations(&series["metric=total,route=/user/{id}"]);
    assert!(total[0] >= db[0], "{total:?}");
    assert!(!all.contains_key(OMITTED_COUNTER), "nothing was omitted");
}

#[tokio::test]
async fn by_default_names_made_at_run_time_are_other_and_routes_can_be_left_out() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    request(
        Histograms::new().routes(false).build(),
        Options::new().total("app"),
        "/user/2",
    )
    .await;
    let all = snapshot(&snapshotter);
    let series = &all[HISTOGRAM];
    let keys: Vec<&str> = series.keys().map(String::as_str).collect();
    let other = format!("metric={OTHER}");
    assert_eq!(keys, ["metric=app", "metric=db", other.as_str()]);
    // Both run-time names, in the one `other` series.
    let mut other = observations(&series["metric=other"]);
    other.sort_by(f64::total_cmp);
    assert_eq!(other, [0.003, 0.004]);
}

#[tokio::test]
async fn a_merged_downstream_gives_samples_only_for_its_durations() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    let app = axum::Router::new()
        .route(
            "/",
            get(|| async {
                let mut downstream = http::HeaderMap::new();
                downstream.append(
                    "server-timing",
                    http::HeaderValue::from_static(
                        r#"traceparent;desc="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", cache;desc=hit, db;dur=2"#,
                    ),
                );
                server_timing_runtime::record_downstream("inventory", &downstream);
                "ok"
            }),
        )
        .layer(ServerTimingLayer::new().on_complete(histograms()));
    let response = app
        .oneshot(http::Request::get("/").body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let _ = axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
    let all = snapshot(&snapshotter);
    let series = &all[HISTOGRAM];
    // `inventory.db` alone: the entry without a duration and the trace entry take none.
    assert_eq!(observations(&series["metric=other,route=/"]), [0.002]);
}

#[tokio::test]
async fn recordings_past_max_metrics_are_counted() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    request(histograms(), Options::new().max_metrics(2), "/user/3").await;
    request(histograms(), Options::new().max_metrics(2), "/user/4").await;
    let all = snapshot(&snapshotter);
    let omitted = &all[OMITTED_COUNTER];
    assert_eq!(omitted.len(), 1, "{omitted:?}");
    // Each request kept `db` and `cache`, and dropped its two run-time names.
    assert!(
        matches!(omitted["route=/user/{id}"], DebugValue::Counter(4)),
        "{omitted:?}"
    );
    assert_eq!(
        observations(&all[HISTOGRAM]["metric=db,route=/user/{id}"]).len(),
        2
    );
}
