//! Caps are fair and counted right: a flood of names built at run time leaves room for the
//! attribute's; `omitted` counts entries left out, whichever limit left them out, and
//! `Timings::omitted` says the same.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use server_timing_runtime::{DEFAULT_MAX_METRICS, Options, Repeated, Timings, record, server_timing};
use server_timing_tests::both_adapters::both;
use server_timing_tests::names::names;

#[server_timing("checked")]
fn checked() {}

fn flood_then_calls() -> Pin<Box<dyn Future<Output = String> + Send>> {
    Box::pin(async {
        for i in 0..500 {
            record(format!("name{i}"), Duration::from_micros(1));
        }
        for _ in 0..5 {
            checked();
        }
        String::new()
    })
}

#[test]
fn a_flood_of_run_time_names_leaves_room_for_the_attributes_metric() {
    // A budget large enough that only `max_metrics` leaves anything out.
    let options = Options::new().header_budget(64 * 1024);
    for answer in both(options, flood_then_calls) {
        let checked = answer.metric("checked");
        assert_eq!(checked.description, "5 calls", "{}", answer.adapter);
        let names = names(&answer.metrics);
        // `checked` took the place of the last run-time name kept.
        let run_time = names.iter().filter(|n| n.starts_with("name")).count();
        assert_eq!(run_time, DEFAULT_MAX_METRICS - 1, "{}", answer.adapter);
        assert!(!names.iter().any(|n| n == "name63"), "{}", answer.adapter);
        let omitted = answer.metric("omitted");
        assert_eq!(
            omitted.description,
            format!("{} metrics", 500 - run_time),
            "{}",
            answer.adapter
        );
    }
}

#[test]
fn omitted_counts_entries_not_recordings() {
    let timings = Timings::with_options(Options::new().max_metrics(1).no_total());
    timings.sync_scope(|| {
        record("a", Duration::ZERO);
        for _ in 0..3 {
            record("b", Duration::ZERO);
        }
    });
    // One metric, `b`, was left out, however often it was recorded.
    assert_eq!(timings.omitted(), 1);
    let value = timings.finish().expect("a value");
    assert_eq!(value, r#"a;dur=0, omitted;desc="1 metrics""#);
    assert_eq!(timings.omitted(), 1);
}

#[test]
fn a_call_site_takes_the_place_of_the_last_run_time_name_which_is_counted() {
    let timings = Timings::with_options(Options::new().max_metrics(1).no_total());
    timings.sync_scope(|| {
        record("a", Duration::ZERO);
        for _ in 0..3 {
            checked();
        }
        record("a", Duration::ZERO);
    });
    let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(names, ["checked"]);
    assert_eq!(timings.metrics()[0].count(), 3);
    assert_eq!(timings.omitted(), 1);
}

#[test]
fn entries_the_budget_leaves_out_are_counted_as_entries_too() {
    let timings = Timings::with_options(Options::new().header_budget(100).max_metrics(4).no_total());
    timings.sync_scope(|| {
        for name in [
            "aaaaaaaaaaaaaaaaaaaa",
            "bbbbbbbbbbbbbbbbbbbb",
            "cccccccccccccccccccc",
        ] {
            for _ in 0..5 {
                record(name, Duration::from_millis(1));
            }
        }
        record("d", Duration::ZERO);
        // Left out by `max_metrics`.
        record("e", Duration::ZERO);
    });
    let value = timings.finish().expect("a value");
    let value = value.to_str().expect("ASCII");
    let kept = server_timing_runtime::parse(value).len() - 1;
    assert!(kept < 4, "the budget left some out: {value}");
    let expected = format!("omitted;desc=\"{} metrics\"", 5 - kept);
    assert!(value.ends_with(&expected), "{value}");
    assert_eq!(timings.omitted() as usize, 5 - kept);
}

#[test]
fn with_each_recording_its_own_entry_each_one_left_out_counts() {
    let timings = Timings::with_options(Options::new().repeated(Repeated::Each).max_metrics(2).no_total());
    timings.sync_scope(|| {
        for _ in 0..5 {
            record("a", Duration::ZERO);
        }
    });
    assert_eq!(timings.omitted(), 3);
}
