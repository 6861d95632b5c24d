//! A subscriber holding several instances of the layer (two crates each add one, or one per
//! filter) records each span and each mapped event once: the real registry, each test with
//! its own subscriber.

use server_timing_runtime::Timings;
use server_timing_runtime::tracing::layer;
use tracing::{Level, info_span};
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;

/// `(name, count)` of each metric `work` left in a request, run under `subscriber`.
fn recorded(subscriber: impl tracing::Subscriber + Send + Sync, work: impl FnOnce()) -> Vec<(String, u32)> {
    tracing::subscriber::with_default(subscriber, || {
        let timings = Timings::new();
        timings.sync_scope(work);
        timings
            .metrics()
            .iter()
            .map(|m| (m.name().to_owned(), m.count()))
            .collect()
    })
}

fn spans() {
    info_span!("query", server_timing = "db").in_scope(|| {
        info_span!("render").in_scope(|| {});
    });
    info_span!("query", server_timing = "db").in_scope(|| {});
}

#[test]
fn two_instances_record_each_span_once() {
    let subscriber = tracing_subscriber::registry().with(layer()).with(layer());
    assert_eq!(recorded(subscriber, spans), [("db".to_owned(), 2)]);
}

#[test]
fn a_filtered_all_spans_instance_beside_a_plain_one_records_each_span_once() {
    let this_crate = Targets::new().with_target(module_path!(), Level::INFO);
    let subscriber = tracing_subscriber::registry()
        .with(layer())
        .with(layer().all_spans().with_filter(this_crate));
    // `db` is taken by both instances, `render` by the filtered one only.
    assert_eq!(
        recorded(subscriber, spans),
        [("db".to_owned(), 2), ("render".to_owned(), 1)]
    );
}

#[test]
fn the_filtered_instance_first_and_the_plain_one_second_record_each_span_once() {
    let this_crate = Targets::new().with_target(module_path!(), Level::INFO);
    let subscriber = tracing_subscriber::registry()
        .with(layer().all_spans().with_filter(this_crate))
        .with(layer());
    assert_eq!(
        recorded(subscriber, spans),
        [("db".to_owned(), 2), ("render".to_owned(), 1)]
    );
}

#[test]
fn an_instance_that_only_maps_events_leaves_the_spans_to_one_that_times_them() {
    let subscriber = tracing_subscriber::registry()
        .with(layer().event("sqlx::query", "sql"))
        .with(layer().all_spans());
    let work = || {
        info_span!("render").in_scope(|| {
            tracing::debug!(target: "sqlx::query", summary = "select 1", elapsed_secs = 0.001);
        });
    };
    // The statement started its elapsed time before the event, so before the span.
    assert_eq!(
        recorded(subscriber, work),
        [("sql".to_owned(), 1), ("render".to_owned(), 1)]
    );
}

#[test]
fn the_nesting_rule_holds_across_instances() {
    let subscriber = tracing_subscriber::registry()
        .with(layer())
        .with(layer().all_spans());
    let work = || {
        info_span!("outer", server_timing = "db").in_scope(|| {
            // Timed by the second instance, inside a `db` span the first one keeps.
            info_span!("db").in_scope(|| {});
        });
    };
    assert_eq!(recorded(subscriber, work), [("db".to_owned(), 1)]);
}

/// What sqlx emits after each statement, twice.
fn queries() {
    for _ in 0..2 {
        tracing::debug!(target: "sqlx::query", summary = "select 1", elapsed_secs = 0.002);
    }
}

#[test]
fn two_instances_mapping_one_event_record_it_once() {
    let subscriber = tracing_subscriber::registry()
        .with(layer().event("sqlx::query", "db"))
        .with(layer().event("sqlx::query", "db"));
    assert_eq!(recorded(subscriber, queries), [("db".to_owned(), 2)]);
}

#[test]
fn an_event_two_instances_map_differently_goes_by_the_first() {
    let subscriber = tracing_subscriber::registry()
        .with(layer().event("sqlx::query", "db"))
        .with(layer().event("sqlx", "sql"));
    assert_eq!(recorded(subscriber, queries), [("db".to_owned(), 2)]);
}

#[test]
fn an_instance_whose_filter_leaves_an_event_out_leaves_it_to_the_next() {
    let elsewhere = Targets::new().with_target("my_app", Level::DEBUG);
    let subscriber = tracing_subscriber::registry()
        .with(layer().event("sqlx::query", "db").with_filter(elsewhere))
        .with(layer().event("sqlx::query", "db"));
    assert_eq!(recorded(subscriber, queries), [("db".to_owned(), 2)]);
}
