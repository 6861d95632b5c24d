//! Spans that opt in with a `server_timing` field become metrics of the request they belong
//! to: a real `tracing-subscriber` registry with our layer and the fmt layer beside it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread;
use std::time::{Duration, Instant};

use server_timing_runtime::{FutureExt, Options, Timings, parse, server_timing};
use server_timing_tests::names::{duration, metric, names};
use server_timing_tests::wait::run;
use tracing::{Instrument, Level, Subscriber, info_span};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;

use super::subscriber::{install, log};

/// This module's instance in the binary's subscriber: the layer as `layer()` makes it, for the
/// spans this module makes.
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let this_module = Targets::new().with_target(module_path!(), Level::TRACE);
    server_timing_runtime::tracing::layer().with_filter(this_module)
}

#[tracing::instrument(fields(server_timing = "render", server_timing.desc = "Render page"))]
fn render(page: &str) -> usize {
    tracing::info!(page, "rendering");
    thread::sleep(Duration::from_millis(5));
    page.len()
}

#[tracing::instrument(fields(server_timing = "db", server_timing.desc = "Load user"))]
async fn load_user(id: u64) -> u64 {
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    id
}

#[test]
fn a_sync_instrumented_fn_is_a_metric_with_its_description_and_fmt_still_logs() {
    install();
    let timings = Timings::new();
    assert_eq!(timings.sync_scope(|| render("home")), 4);
    let render = metric(&timings, "render");
    assert_eq!(render.description(), Some("Render page"));
    assert_eq!(render.count(), 1);
    assert!(duration(&render) >= Duration::from_millis(5));
    // The fmt layer beside ours saw the span and its event.
    let log = log();
    assert!(
        log.contains("render{page=\"home\"") && log.contains("rendering"),
        "{log}"
    );
}

#[test]
fn an_async_span_counts_every_await_not_the_time_to_its_first() {
    install();
    run(async {
        let timings = Timings::new();
        let started = Instant::now();
        assert_eq!(timings.scope(load_user(7)).await, 7);
        let took = started.elapsed();
        let db = duration(&metric(&timings, "db"));
        // Five 10 ms sleeps: at least 50 ms; the first await alone would be about 10.
        assert!(db >= Duration::from_millis(50), "{db:?}");
        assert!(db <= took, "{db:?} > {took:?}");
    });
}

#[test]
fn an_async_span_runs_from_its_first_poll_not_from_when_it_was_made() {
    install();
    run(async {
        let timings = Timings::new();
        timings
            .scope(async {
                // The span is created here, but entered only when first polled. (An
                // `#[instrument]` async fn makes its span at its first poll: no test of this.)
                let span = info_span!("load", server_timing = "db");
                let load = async {
                    for _ in 0..5 {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                .instrument(span);
                tokio::time::sleep(Duration::from_millis(400)).await;
                load.await
            })
            .await;
        let db = duration(&metric(&timings, "db"));
        assert!(db >= Duration::from_millis(50), "{db:?}");
        assert!(
            db < Duration::from_millis(400),
            "counted the time before the first poll: {db:?}"
        );
    });
}

#[test]
fn a_span_spawned_with_instrument_records_into_the_request_it_was_made_in() {
    install();
    run(async {
        let timings = Timings::new();
        let task = timings.sync_scope(|| {
            let span = info_span!("fetch", server_timing = "upstream");
            tokio::spawn(
                async {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    thread::current().id()
                }
                .instrument(span),
            )
        });
        task.await.expect("the task ran");
        let upstream = duration(&metric(&timings, "upstream"));
        assert!(upstream >= Duration::from_millis(20), "{upstream:?}");
    });
}

#[test]
fn a_span_made_inside_spawned_work_carried_by_in_current_timings_records() {
    install();
    run(async {
        let timings = Timings::new();
        timings
            .scope(async {
                tokio::spawn(async { load_user(3).await }.in_current_timings())
                    .await
                    .expect("the task ran")
            })
            .await;
        assert_eq!(metric(&timings, "db").count(), 1);
    });
}

#[test]
fn spawn_blocking_records_both_a_span_moved_in_and_a_child_made_there() {
    install();
    run(async {
        let timings = Timings::new();
        let (outer, job) = timings.sync_scope(|| {
            (
                info_span!("job", server_timing = "job"),
                info_span!("encode", server_timing = "encode"),
            )
        });
        tokio::task::spawn_blocking(move || {
            job.in_scope(|| {
                // No collector is current on this thread: the child finds its request
                // through its parent.
                let child = info_span!(parent: &outer, "compress", server_timing = "compress");
                child.in_scope(|| thread::sleep(Duration::from_millis(5)));
            });
            drop(outer);
        })
        .await
        .expect("the blocking job ran");
        assert_eq!(names(&timings), ["encode", "compress"]);
        assert!(duration(&metric(&timings, "compress")) >= Duration::from_millis(5));
    });
}

#[tracing::instrument(fields(server_timing = "walk"))]
fn walk(depth: u32) -> u32 {
    thread::sleep(Duration::from_millis(2));
    if depth == 0 { 0 } else { 1 + walk(depth - 1) }
}

#[test]
fn nested_spans_of_one_name_count_once_and_for_the_outer_time() {
    install();
    let timings = Timings::new();
    let started = Instant::now();
    assert_eq!(timings.sync_scope(|| walk(4)), 4);
    let took = started.elapsed();
    let walk = metric(&timings, "walk");
    assert_eq!(walk.count(), 1, "a nested span was counted again");
    // The outer span's time only: the five nested ones summed would exceed the wall time.
    assert!(duration(&walk) >= Duration::from_millis(10));
    assert!(duration(&walk) <= took);
}

#[test]
fn nested_spans_of_other_names_each_count() {
    install();
    let timings = Timings::new();
    timings.sync_scope(|| {
        info_span!("a", server_timing = "page").in_scope(|| {
            info_span!("b", server_timing = "db").in_scope(|| {});
            info_span!("c", server_timing = "db").in_scope(|| {});
        });
    });
    assert_eq!(names(&timings), ["page", "db"]);
    assert_eq!(metric(&timings, "db").count(), 2);
}

#[test]
fn spans_outside_any_request_are_not_recorded_even_when_entered_in_one() {
    install();
    let early = info_span!("early", server_timing = "early");
    info_span!("loose", server_timing = "loose").in_scope(|| {});
    let timings = Timings::new();
    timings.sync_scope(|| {
        early.in_scope(|| {});
        // Made in the request, but not as a child of `early`: recorded.
        info_span!("inside", server_timing = "inside").in_scope(|| {});
    });
    drop(early);
    assert_eq!(names(&timings), ["inside"]);
}

#[test]
fn a_span_closing_after_the_header_was_written_is_kept_out_of_it_for_the_hook() {
    install();
    let timings = Timings::with_options(Options::new().no_total());
    let late = timings.sync_scope(|| {
        info_span!("quick", server_timing = "quick").in_scope(|| {});
        let late = info_span!("late", server_timing = "late");
        late.in_scope(|| {});
        late
    });
    let header = timings.finish().expect("a header");
    drop(late);
    let parsed = parse(header.to_str().unwrap());
    assert_eq!(parsed.len(), 1, "{header:?}");
    assert_eq!(parsed[0].name, "quick");
    assert_eq!(names(&timings), ["quick", "late"], "what the hook is handed");
}

#[server_timing("auth")]
fn authenticate() {
    thread::sleep(Duration::from_millis(1));
}

#[test]
fn attribute_and_spans_land_in_one_header_in_the_order_they_ran() {
    install();
    let timings = Timings::with_options(Options::new().no_total());
    timings.sync_scope(|| {
        authenticate();
        render("x");
        info_span!("q", server_timing = "auth").in_scope(|| {});
    });
    let header = timings.finish().expect("a header");
    let parsed = parse(header.to_str().unwrap());
    let names: Vec<_> = parsed.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["auth", "render"], "{header:?}");
    // The attribute's and the span's `auth` aggregate into one entry.
    assert_eq!(metric(&timings, "auth").count(), 2);
}

#[test]
fn names_from_fields_are_sanitized_and_non_strings_ignored() {
    install();
    let timings = Timings::with_options(Options::new().no_total());
    timings.sync_scope(|| {
        info_span!("a", server_timing = 5).in_scope(|| {});
        info_span!("b", server_timing = ?"db").in_scope(|| {});
        info_span!(
            "c",
            server_timing = "db\r\nSet-Cookie: x=1",
            server_timing.desc = "a \"quoted\"\nline"
        )
        .in_scope(|| {});
    });
    let header = timings.finish().expect("a header");
    let value = header.to_str().expect("visible ASCII only");
    assert!(!value.contains('\n') && !value.contains('\r'), "{value:?}");
    let parsed = parse(value);
    assert_eq!(parsed.len(), 1, "{value:?}");
    assert!(server_timing_runtime::is_token(&parsed[0].name), "{value:?}");
    assert_eq!(timings.metrics()[0].name(), parsed[0].name);
    assert_eq!(
        Some(parsed[0].description.as_str()),
        timings.metrics()[0].description()
    );
}

#[test]
fn many_span_names_are_bounded_by_max_metrics() {
    install();
    let timings = Timings::with_options(Options::new().max_metrics(3));
    timings.sync_scope(|| {
        for i in 0..50 {
            info_span!("many", server_timing = format!("m{i}").as_str()).in_scope(|| {});
        }
    });
    assert_eq!(names(&timings), ["m0", "m1", "m2"]);
    assert_eq!(timings.omitted(), 47);
}

#[test]
fn a_name_recorded_after_the_span_was_made_is_used() {
    install();
    let timings = Timings::new();
    timings.sync_scope(|| {
        let span = info_span!(
            "query",
            server_timing = tracing::field::Empty,
            server_timing.desc = tracing::field::Empty
        );
        span.in_scope(|| {
            span.record("server_timing", "cache");
            span.record("server_timing.desc", "miss");
        });
    });
    let cache = metric(&timings, "cache");
    assert_eq!(cache.description(), Some("miss"));
}

#[test]
fn spans_without_the_field_are_not_recorded() {
    install();
    let timings = Timings::new();
    timings.sync_scope(|| info_span!("plain", user = 1).in_scope(|| {}));
    assert!(timings.metrics().is_empty());
}

#[test]
fn the_http_adapter_writes_spans_and_the_attribute_into_one_header() {
    install();
    run(async {
        let response = server_timing_runtime::http::timed_response(Timings::new(), async {
            authenticate();
            let id = load_user(9).await;
            http::Response::new(id.to_string())
        })
        .await;
        let names: Vec<_> = server_timing_runtime::parse_headers(response.headers())
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, ["total", "auth", "db"]);
    });
}

#[tracing::instrument(fields(server_timing = "risky"))]
fn risky(fail: bool) {
    assert!(!fail, "risky failed");
}

#[test]
fn a_span_a_panic_goes_through_is_recorded_as_panicked_as_the_attribute_marks_it() {
    install();
    let timings = Timings::new();
    timings.sync_scope(|| {
        // Exited while unwinding, closed after the panic was caught.
        let held = info_span!("held", server_timing = "held");
        let caught = catch_unwind(AssertUnwindSafe(|| held.in_scope(|| panic!("inside held"))));
        assert!(caught.is_err());
        drop(held);
        // Exited and closed while unwinding.
        assert!(catch_unwind(|| risky(true)).is_err());
        // After the panic was caught, spans on this thread complete again.
        risky(false);
        info_span!("held", server_timing = "held").in_scope(|| {});
    });
    let held = metric(&timings, "held");
    assert_eq!((held.count(), held.panicked()), (2, 1));
    let risky = metric(&timings, "risky");
    assert_eq!((risky.count(), risky.panicked()), (2, 1));
}

#[test]
fn a_panic_in_a_child_span_marks_the_child_not_the_parent_it_was_caught_in() {
    install();
    let timings = Timings::new();
    timings.sync_scope(|| {
        info_span!("page", server_timing = "page").in_scope(|| {
            let caught = catch_unwind(|| {
                info_span!("db", server_timing = "db").in_scope(|| panic!("in db"));
            });
            assert!(caught.is_err());
        });
    });
    assert_eq!(metric(&timings, "db").panicked(), 1);
    assert_eq!(metric(&timings, "page").panicked(), 0);
}

#[server_timing("attributed")]
async fn never_done() {
    tokio::time::sleep(Duration::from_secs(30)).await;
}

#[test]
fn a_dropped_instrumented_future_records_as_completed_where_the_attribute_counts_it_cancelled() {
    install();
    run(async {
        let timings = Timings::new();
        timings
            .scope(async {
                let never = async { tokio::time::sleep(Duration::from_secs(30)).await }
                    .instrument(info_span!("never", server_timing = "instrumented"));
                // Both are polled, then dropped when the timeout fires.
                let limit = Duration::from_millis(5);
                assert!(tokio::time::timeout(limit, never).await.is_err());
                assert!(tokio::time::timeout(limit, never_done()).await.is_err());
            })
            .await;
        let instrumented = metric(&timings, "instrumented");
        assert_eq!((instrumented.count(), instrumented.cancelled()), (1, 0));
        let attributed = metric(&timings, "attributed");
        assert_eq!((attributed.count(), attributed.cancelled()), (1, 1));
    });
}
