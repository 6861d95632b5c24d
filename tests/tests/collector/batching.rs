//! Timed calls with static names are batched per thread; the batch must be invisible: same
//! order, same counts, same bounds as recording one by one.

use std::time::Duration;

use server_timing_runtime::{Options, Repeated, Timings, record, server_timing};
use server_timing_tests::names::names;

macro_rules! timed_fns {
    ($($name:ident),*) => {
        $( #[server_timing] fn $name() {} )*
        const ALL: &[fn()] = &[$($name),*];
        const NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}

timed_fns!(
    n00, n01, n02, n03, n04, n05, n06, n07, n08, n09, n10, n11, n12, n13, n14, n15, n16, n17, n18, n19
);

#[test]
fn batched_and_direct_recordings_keep_first_recorded_order() {
    let timings = Timings::new();
    timings.sync_scope(|| {
        n00();
        record("direct", Duration::ZERO);
        n00();
        n01();
    });
    assert_eq!(names(&timings), ["n00", "direct", "n01"]);
    assert_eq!(timings.metrics()[0].count(), 2);
}

#[test]
fn more_distinct_names_than_a_batch_holds_lose_nothing() {
    let timings = Timings::new();
    timings.sync_scope(|| {
        for round in 0..3 {
            for f in ALL {
                f();
            }
            assert_eq!(names(&timings), NAMES, "round {round}");
        }
    });
    assert!(timings.metrics().iter().all(|m| m.count() == 3));
}

#[test]
fn reads_inside_the_scope_see_the_batch() {
    let timings = Timings::new();
    timings.sync_scope(|| {
        n00();
        assert_eq!(timings.metrics()[0].count(), 1);
        n00();
        let current = Timings::current().unwrap();
        assert_eq!(current.metrics()[0].count(), 2);
    });
}

#[test]
fn a_batch_goes_to_its_own_collector_when_scopes_nest() {
    let (outer, inner) = (Timings::new(), Timings::new());
    outer.sync_scope(|| {
        n00();
        inner.sync_scope(n01);
        n02();
    });
    assert_eq!(names(&outer), ["n00", "n02"]);
    assert_eq!(names(&inner), ["n01"]);
}

#[test]
fn batches_from_many_threads_add_up_exactly() {
    const THREADS: u32 = 8;
    const EACH: u32 = 20_000;
    let timings = Timings::new();
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                timings.sync_scope(|| {
                    for _ in 0..EACH {
                        n00();
                        n01();
                    }
                });
            });
        }
    });
    let metrics = timings.metrics();
    assert_eq!(metrics.len(), 2);
    assert!(metrics.iter().all(|m| m.count() == THREADS * EACH));
}

#[test]
fn batched_names_respect_max_metrics() {
    let timings = Timings::with_options(Options::new().max_metrics(3));
    timings.sync_scope(|| {
        for f in ALL {
            f();
            f();
        }
    });
    assert_eq!(names(&timings), ["n00", "n01", "n02"]);
    // Entries: each name left out counts once, however often it was called.
    assert_eq!(timings.omitted(), 17);
}

#[test]
fn each_mode_records_every_call() {
    let timings = Timings::with_options(Options::new().repeated(Repeated::Each));
    timings.sync_scope(|| {
        n00();
        n00();
    });
    assert_eq!(names(&timings), ["n00", "n00"]);
}

#[test]
fn a_batch_flushed_after_the_header_was_written_is_kept_out_of_it() {
    let timings = Timings::new();
    let header = timings.sync_scope(|| {
        n00();
        let header = timings.finish();
        n01();
        header
    });
    let header = header.unwrap();
    assert!(header.to_str().unwrap().contains("n00;dur="));
    assert!(!header.to_str().unwrap().contains("n01"));
    assert_eq!(names(&timings), ["n00", "n01"], "what the hook is handed");
}

/// Names, descriptions and call counts of a header value, durations left out.
fn shape(header: &http::HeaderValue) -> Vec<(String, String)> {
    server_timing_runtime::parse(header.to_str().unwrap())
        .into_iter()
        .map(|m| (m.name, m.description))
        .collect()
}

#[server_timing("db", desc = "DB read")]
fn db() {}

#[test]
fn a_header_written_from_the_batch_says_what_one_written_from_metrics_does() {
    let work = || {
        n00();
        db();
        n00();
        db();
        db();
        n01();
    };
    // Closed inside the scope: every metric is still in the batch, written from there.
    let from_batch = Timings::new();
    let header = from_batch.sync_scope(|| {
        work();
        from_batch.finish()
    });
    // Closed outside it: the batch was folded into metrics when the scope was left.
    let from_metrics = Timings::new();
    from_metrics.sync_scope(work);
    let expected = from_metrics.finish().unwrap();
    assert_eq!(shape(&header.unwrap()), shape(&expected));
    assert_eq!(
        shape(&expected)[1..],
        [
            ("n00".to_owned(), "2 calls".to_owned()),
            ("db".to_owned(), "DB read (3 calls)".to_owned()),
            ("n01".to_owned(), String::new()),
        ]
    );
}

#[test]
fn a_batch_larger_than_max_metrics_is_cut_like_any_other() {
    let timings = Timings::with_options(Options::new().max_metrics(2));
    let header = timings.sync_scope(|| {
        n00();
        n01();
        n02();
        timings.finish()
    });
    let header = header.unwrap();
    let names: Vec<_> = shape(&header).into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["total", "n00", "n01", "omitted"]);
    assert!(header.to_str().unwrap().ends_with("omitted;desc=\"1 metrics\""));
}
