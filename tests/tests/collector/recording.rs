//! The manual recording API, repeated names, and the bounds on what a request may hold.

use std::time::Duration;

use server_timing_runtime::{
    FutureExt, OMITTED_NAME, Options, Repeated, Timings, describe, record, record_value, server_timing, timer,
};

fn header(timings: &Timings) -> String {
    timings.finish().unwrap().to_str().unwrap().to_owned()
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

#[test]
fn repeated_names_are_aggregated_by_default() {
    let timings = Timings::with_options(Options::new().no_total());
    timings.sync_scope(|| {
        for ms in [1, 2, 3] {
            record("db", Duration::from_millis(ms));
        }
        record("cache", Duration::from_millis(1));
    });
    let metrics = timings.metrics();
    assert_eq!(metrics.len(), 2);
    assert_eq!(metrics[0].duration(), Some(Duration::from_millis(6)));
    assert_eq!(metrics[0].count(), 3);
    assert_eq!(header(&timings), "db;dur=6;desc=\"3 calls\", cache;dur=1");
}

#[test]
fn each_recording_can_be_its_own_entry() {
    let timings = Timings::with_options(Options::new().no_total().repeated(Repeated::Each));
    timings.sync_scope(|| {
        for ms in [1, 2] {
            record("db", Duration::from_millis(ms));
        }
    });
    assert_eq!(header(&timings), "db;dur=1, db;dur=2");
}

#[test]
fn describe_adds_a_description_without_a_duration() {
    let timings = Timings::with_options(Options::new().no_total());
    timings.sync_scope(|| {
        describe("cache", "hit");
        describe("cache", "miss");
        describe("region", "eu west");
    });
    assert_eq!(header(&timings), "cache;desc=hit, region;desc=\"eu west\"");
}

#[test]
fn values_without_time_meaning_are_written_as_dur() {
    let timings = Timings::with_options(Options::new().no_total());
    timings.sync_scope(|| {
        record_value("status", 503.0);
        record_value("rows", 2.5);
        record_value("rows", 2.5);
    });
    assert_eq!(header(&timings), "status;dur=503, rows;dur=5");
}

#[test]
fn a_timer_records_on_drop_with_its_description() {
    let timings = Timings::new();
    timings.sync_scope(|| {
        let _t = timer("sleep").description("Nap");
        std::thread::sleep(Duration::from_millis(20));
    });
    let metric = &timings.metrics()[0];
    let elapsed = metric.duration().unwrap();
    assert!(elapsed >= Duration::from_millis(20), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(metric.description(), Some("Nap"));
}

#[test]
fn a_timer_moved_out_of_its_scope_records_into_its_request() {
    let timings = Timings::new();
    let t = timings.sync_scope(|| timer("escaped"));
    std::thread::spawn(move || drop(t)).join().unwrap();
    assert_eq!(timings.metrics()[0].name(), "escaped");
}

#[test]
fn a_timed_future_excludes_its_construction_and_includes_its_awaits() {
    let rt = current_thread();
    let timings = Timings::new();
    rt.block_on(timings.scope(async {
        let fut = async { tokio::time::sleep(Duration::from_millis(30)).await }.timed("sleep");
        std::thread::sleep(Duration::from_millis(100));
        fut.await;
    }));
    let elapsed = timings.metrics()[0].duration().unwrap();
    assert!(elapsed >= Duration::from_millis(30), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(100),
        "construction was timed: {elapsed:?}"
    );
}

#[test]
fn a_timed_future_dropped_early_records_as_cancelled() {
    let rt = current_thread();
    let timings = Timings::new();
    rt.block_on(timings.scope(async {
        let slow = tokio::time::sleep(Duration::from_secs(60)).timed("slow");
        let _ = tokio::time::timeout(Duration::from_millis(20), slow).await;
    }));
    let metric = &timings.metrics()[0];
    assert_eq!(metric.cancelled(), 1);
    assert!(metric.duration().unwrap() >= Duration::from_millis(20));
    let value = header(&timings);
    assert!(
        value.contains(", slow;dur=") && value.ends_with(";desc=\"cancelled\""),
        "{value}"
    );
}

#[test]
fn a_timed_future_that_panics_records_as_panicked() {
    let timings = Timings::new();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        futures::executor::block_on(timings.scope(async { panic!("boom") }.timed("explodes")));
    }));
    assert!(caught.is_err());
    assert_eq!(timings.metrics()[0].panicked(), 1);
}

#[test]
fn a_million_aggregated_calls_keep_one_entry() {
    let timings = Timings::new();
    timings.sync_scope(|| {
        for _ in 0..1_000_000 {
            record("hot", Duration::from_nanos(1));
        }
    });
    let metrics = timings.metrics();
    assert_eq!(metrics.len(), 1);
    assert_eq!(metrics[0].count(), 1_000_000);
    assert_eq!(metrics[0].duration(), Some(Duration::from_millis(1)));
}

#[test]
fn each_mode_stops_storing_at_max_metrics_and_counts_the_rest() {
    let timings = Timings::with_options(Options::new().repeated(Repeated::Each).max_metrics(10));
    timings.sync_scope(|| {
        for _ in 0..1_000 {
            record("db", Duration::ZERO);
        }
    });
    assert_eq!(timings.metrics().len(), 10);
    assert_eq!(timings.omitted(), 990);
    assert!(header(&timings).ends_with(&format!("{OMITTED_NAME};desc=\"990 metrics\"")));
}

#[test]
fn distinct_dynamic_names_are_bounded_and_the_header_fits_its_budget() {
    let timings = Timings::new();
    timings.sync_scope(|| {
        for i in 0..10_000 {
            record(format!("name-{i}"), Duration::from_micros(i));
        }
    });
    assert_eq!(
        timings.metrics().len(),
        server_timing_runtime::DEFAULT_MAX_METRICS
    );
    let value = header(&timings);
    assert!(
        value.len() <= server_timing_runtime::DEFAULT_HEADER_BUDGET,
        "{}",
        value.len()
    );
    assert!(value.starts_with("total;dur="));
    assert!(value.ends_with(&format!("{OMITTED_NAME};desc=\"{} metrics\"", 10_000 - 64)));
}

#[test]
fn the_total_can_be_renamed_described_or_turned_off() {
    let renamed = Timings::with_options(Options::new().total("app").total_description("Whole request"));
    assert!(header(&renamed).starts_with("app;dur="));
    let renamed = Timings::with_options(Options::new().total("app").total_description("Whole request"));
    assert!(header(&renamed).ends_with(";desc=\"Whole request\""));
    let off = Timings::with_options(Options::new().no_total());
    assert_eq!(off.finish(), None, "nothing recorded and no total: no header");
}

#[test]
fn precision_is_configurable() {
    let timings = Timings::with_options(Options::new().no_total().precision(1));
    timings.sync_scope(|| record("db", Duration::from_micros(12_345)));
    assert_eq!(header(&timings), "db;dur=12.3");
}

#[server_timing("batched")]
fn batched() {}

#[test]
fn metrics_stay_readable_after_the_value_is_written() {
    // Closed inside its scope, with the call still in the thread's batch; and closed outside.
    for closed_inside in [true, false] {
        let timings = Timings::new();
        let value = timings.sync_scope(|| {
            batched();
            closed_inside.then(|| timings.finish())
        });
        let value = value.unwrap_or_else(|| timings.finish());
        assert!(value.is_some(), "closed inside: {closed_inside}");
        let metrics = timings.metrics();
        assert_eq!(metrics.len(), 1, "closed inside: {closed_inside}: {metrics:?}");
        assert_eq!((metrics[0].name(), metrics[0].count()), ("batched", 1));
    }
}
