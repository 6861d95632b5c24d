//! Memory stays bounded whatever a request records: counted by a global allocator, not timed.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response};
use http_body_util::Empty;
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{Options, Repeated, Timings, describe, record, server_timing, timer};
use server_timing_tests::memory;
use tower::{Layer, Service, ServiceExt};

// One test: the counts are process-wide, so nothing else of this binary runs while it counts.
#[test]
fn memory_is_bounded_and_static_names_allocate_once() {
    let _alone = memory::exclusive_blocking();
    a_million_instrumented_calls_stay_under_a_small_fixed_bound(Repeated::Aggregate);
    a_million_instrumented_calls_stay_under_a_small_fixed_bound(Repeated::Each);
    recording_a_static_name_again_allocates_nothing();
    writing_the_header_allocates_no_string_per_metric();
    a_request_through_the_layer_allocates_its_collector_and_header_value_only();
}

#[server_timing("hot")]
fn hot() {}

fn a_million_instrumented_calls_stay_under_a_small_fixed_bound(repeated: Repeated) {
    let timings = Timings::with_options(Options::new().repeated(repeated));
    let before = memory::live_bytes();
    let mut peak = 0;
    timings.sync_scope(|| {
        for i in 0..1_000_000u32 {
            hot();
            if i % 1024 == 0 {
                peak = peak.max(memory::live_bytes() - before);
            }
        }
    });
    let grown = memory::live_bytes() - before;
    // 64 entries of a few dozen bytes each: far under 64 KiB, and independent of the call count.
    assert!(
        grown < 64 * 1024,
        "{repeated:?}: {grown} bytes live after 1,000,000 calls"
    );
    assert!(peak < 64 * 1024, "{repeated:?}: peak {peak} bytes");
    drop(timings);
}

fn recording_a_static_name_again_allocates_nothing() {
    let timings = Timings::new();
    timings.sync_scope(|| {
        hot();
        record("manual", Duration::ZERO);
        drop(timer("guard"));
        let before = memory::allocations();
        for _ in 0..1000 {
            hot();
            record("manual", Duration::ZERO);
            drop(timer("guard"));
        }
        let allocations = memory::allocations() - before;
        assert_eq!(allocations, 0, "recording known static names must not allocate");
    });
}

const NAMES: [&str; 30] = [
    "m00", "m01", "m02", "m03", "m04", "m05", "m06", "m07", "m08", "m09", "m10", "m11", "m12", "m13", "m14",
    "m15", "m16", "m17", "m18", "m19", "m20", "m21", "m22", "m23", "m24", "m25", "m26", "m27", "m28", "m29",
];

/// Allocations made by `finish()` for `count` metrics, each with a quoted description.
fn header_allocations(count: usize) -> usize {
    let timings = Timings::new();
    timings.sync_scope(|| {
        for name in &NAMES[..count] {
            record(*name, Duration::from_micros(1234));
            describe(*name, "DB read");
        }
    });
    let before = memory::allocations();
    let value = timings.finish().expect("metrics were recorded");
    let allocations = memory::allocations() - before;
    assert!(value.len() > count * 20, "{value:?}");
    allocations
}

fn writing_the_header_allocates_no_string_per_metric() {
    // A value costs two allocations, the buffer it is written into and the header value's own
    // bytes, whatever the number of metrics: never one per metric.
    let (five, thirty) = (header_allocations(5), header_allocations(30));
    assert_eq!(five, 2, "5 metrics: {five} allocations");
    assert_eq!(thirty, 2, "30 metrics: {thirty} allocations");
}

/// Allocations per request, over `requests` requests through `service`.
fn allocations_per_request<S>(service: &mut S, requests: usize) -> usize
where
    S: Service<Request<()>>,
    S::Error: std::fmt::Debug,
{
    let before = memory::allocations();
    for _ in 0..requests {
        futures::executor::block_on(async {
            service.ready().await.expect("ready");
            service.call(Request::new(())).await.expect("answered");
        });
    }
    (memory::allocations() - before) / requests
}

fn a_request_through_the_layer_allocates_its_collector_and_header_value_only() {
    // The handler's own header, so that its map has room already: appending `Server-Timing`
    // then allocates nothing but the value.
    let handler = || {
        tower::service_fn(|_: Request<()>| async {
            hot();
            let mut response = Response::new(Empty::<Bytes>::new());
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            Ok::<_, Infallible>(response)
        })
    };
    let mut without = handler();
    let mut with = ServerTimingLayer::new().layer(handler());
    // The first requests on this thread make its batch.
    allocations_per_request(&mut with, 10);
    let (without, with) = (
        allocations_per_request(&mut without, 1_000),
        allocations_per_request(&mut with, 1_000),
    );
    // Four more: the collector, its list of metrics, and the header value (written into a
    // buffer, then copied once into its own bytes). None per metric, none for the header map.
    assert_eq!(with, without + 4, "with the layer {with}, without {without}");
}
