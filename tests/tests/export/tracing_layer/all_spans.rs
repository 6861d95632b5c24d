//! `all_spans` takes every span the layer sees, narrowed by tracing-subscriber's own per-layer
//! filter (`Targets`), and `busy_time` counts only the time a span was entered.

use std::thread;
use std::time::Duration;

use server_timing_runtime::Timings;
use server_timing_tests::names::{duration, metric, names};
use server_timing_tests::wait::run;
use tracing::{Level, Subscriber, debug_span, info_span};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;

use super::subscriber::install;

mod db {
    #[tracing::instrument]
    pub fn query() {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }

    #[tracing::instrument(level = "debug")]
    pub fn too_fine() {}

    #[tracing::instrument(fields(server_timing = "sql", server_timing.desc = "Named"))]
    pub fn named() {}

    #[tracing::instrument]
    pub async fn slow_await() {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tracing::instrument]
fn elsewhere() {}

/// The target of the spans in [`db`].
const DB: &str = concat!(module_path!(), "::db");

/// This module's instance in the binary's subscriber: every span of [`db`] at `INFO` or above,
/// timed while entered.
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let only_db = Targets::new().with_target(DB, Level::INFO);
    server_timing_runtime::tracing::layer()
        .all_spans()
        .busy_time()
        .with_filter(only_db)
}

#[test]
fn every_span_the_filter_lets_through_is_a_metric_named_by_its_span() {
    install();
    let timings = Timings::new();
    timings.sync_scope(|| {
        db::query();
        db::too_fine();
        elsewhere();
        info_span!("not_in_db").in_scope(|| {});
        db::query();
    });
    assert_eq!(names(&timings), ["query"]);
    assert_eq!(metric(&timings, "query").count(), 2);
    assert!(duration(&metric(&timings, "query")) >= Duration::from_millis(4));
}

#[test]
fn a_string_server_timing_field_still_names_the_span() {
    install();
    let timings = Timings::new();
    timings.sync_scope(db::named);
    let sql = metric(&timings, "sql");
    assert_eq!(sql.description(), Some("Named"));
}

#[test]
fn busy_time_leaves_out_the_time_a_span_was_not_entered() {
    install();
    let timings = Timings::new();
    timings.sync_scope(|| {
        let span = tracing::span!(target: DB, Level::INFO, "batch");
        span.in_scope(|| thread::sleep(Duration::from_millis(5)));
        thread::sleep(Duration::from_millis(300));
        span.in_scope(|| thread::sleep(Duration::from_millis(5)));
    });
    let batch = duration(&metric(&timings, "batch"));
    assert!(batch >= Duration::from_millis(10), "{batch:?}");
    assert!(
        batch < Duration::from_millis(300),
        "the idle time was counted: {batch:?}"
    );
}

#[test]
fn busy_time_of_an_async_span_leaves_out_its_awaits() {
    install();
    run(async {
        let timings = Timings::new();
        timings.scope(db::slow_await()).await;
        let busy = duration(&metric(&timings, "slow_await"));
        assert!(
            busy < Duration::from_millis(50),
            "the await was counted: {busy:?}"
        );
    });
}

#[test]
fn spans_below_the_filter_level_are_not_seen() {
    install();
    let timings = Timings::new();
    timings.sync_scope(|| {
        debug_span!(target: DB, "fine").in_scope(|| {});
    });
    assert!(timings.metrics().is_empty(), "{:?}", timings.metrics());
}
