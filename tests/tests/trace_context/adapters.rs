//! Trace context end to end: a real client sends (or not) `traceparent` / `tracestate` to a
//! real actix-web server, axum server or `http` adapter over loopback, and reads the
//! `traceparent` / `tracestate` entries of the response's `Server-Timing` as a browser does.

use std::convert::Infallible;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::http::timed_response;
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{Options, ParsedMetric, Timings, TraceParent, parse, record};
use server_timing_tests::actix_server::serve;
use server_timing_tests::axum_server::AxumServer;
use server_timing_tests::clients::client;
use server_timing_tests::entries::fields;
use server_timing_tests::trace_ids::hex;
use server_timing_tests::wait::bounded;
use tower::ServiceExt;

const INCOMING: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const INCOMING_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const INCOMING_SPAN: &str = "00f067aa0ba902b7";

/// What the handler saw: `Timings::current().and_then(|t| t.trace_parent())`, printed.
fn seen_by_handler() -> String {
    Timings::current()
        .and_then(|t| t.trace_parent())
        .map(|p| p.to_string())
        .unwrap_or_default()
}

fn actix_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/",
        web::get().to(|| async {
            record("db", Duration::from_millis(1));
            HttpResponse::Ok().body(seen_by_handler())
        }),
    )
    .route(
        "/cached",
        web::get().to(|| async {
            HttpResponse::Ok()
                .insert_header(("cache-control", "public, max-age=60"))
                .body(seen_by_handler())
        }),
    )
    .route(
        "/private",
        web::get().to(|| async {
            HttpResponse::Ok()
                .insert_header(("cache-control", "private, max-age=60"))
                .body(seen_by_handler())
        }),
    )
    .route(
        "/many",
        web::get().to(|| async {
            for i in 0..40 {
                record(format!("metric-{i:02}"), Duration::from_millis(1));
            }
            HttpResponse::Ok().body(seen_by_handler())
        }),
    );
}

/// A response as the tests read it: every `Server-Timing` entry (browser-exact parse of
/// every field), the raw fields, and the body.
struct Seen {
    entries: Vec<ParsedMetric>,
    raw: String,
    body: String,
}

impl Seen {
    fn desc(&self, name: &str) -> Option<&str> {
        let mut found = self.entries.iter().filter(|e| e.name == name);
        let first = found.next()?;
        assert!(found.next().is_none(), "one {name} entry in {}", self.raw);
        Some(&first.description)
    }

    /// What the handler saw (its trace context, all flags), as the `traceparent` entry
    /// writes it: the `sampled` flag alone.
    fn handler_as_entry(&self) -> String {
        as_entry(&self.body)
    }

    /// The `traceparent` entry, parsed strictly.
    fn traceparent(&self) -> TraceParent {
        let desc = self
            .desc("traceparent")
            .unwrap_or_else(|| panic!("a traceparent entry in {}", self.raw));
        desc.parse().unwrap_or_else(|e| panic!("{e}: {desc}"))
    }
}

/// A `traceparent` as its `Server-Timing` entry carries it: the `sampled` flag alone.
fn as_entry(traceparent: &str) -> String {
    let parent: TraceParent = traceparent
        .parse()
        .unwrap_or_else(|e| panic!("{e}: {traceparent}"));
    TraceParent::new(parent.trace_id(), parent.parent_id(), parent.flags() & 0x01)
        .expect("valid ids")
        .to_string()
}

async fn read(response: reqwest::Response) -> Seen {
    let raw = fields(response.headers()).join(", ");
    let entries = parse(&raw);
    let body = response.text().await.unwrap();
    Seen { entries, raw, body }
}

async fn actix_get(timing: ServerTiming, path: &str, headers: &[(&str, &str)]) -> Seen {
    let server = serve(timing, actix_routes);
    let mut request = client().get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let seen = read(bounded(request.send()).await.unwrap()).await;
    server.stop().await;
    seen
}

#[actix_web::test]
async fn off_by_default_and_when_descriptions_are_off() {
    let seen = actix_get(ServerTiming::new(), "/", &[("traceparent", INCOMING)]).await;
    assert!(seen.desc("total").is_some(), "{}", seen.raw);
    assert_eq!(seen.desc("traceparent"), None, "{}", seen.raw);
    assert_eq!(seen.body, "");

    let timing = ServerTiming::new().trace_context(true).descriptions(false);
    let seen = actix_get(timing, "/", &[("traceparent", INCOMING)]).await;
    assert_eq!(seen.desc("traceparent"), None, "{}", seen.raw);
    assert!(seen.desc("db").is_some());
}

#[actix_web::test]
async fn an_incoming_traceparent_keeps_its_trace_and_gets_this_servers_span() {
    let timing = ServerTiming::new().trace_context(true);
    let headers = [
        ("traceparent", INCOMING),
        ("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"),
    ];
    let seen = actix_get(timing, "/", &headers).await;
    let parent = seen.traceparent();
    assert_eq!(hex(&parent.trace_id()), INCOMING_TRACE);
    assert_ne!(hex(&parent.parent_id()), INCOMING_SPAN);
    assert!(parent.sampled());
    assert_eq!(
        seen.handler_as_entry(),
        parent.to_string(),
        "the handler sees what the header says"
    );
    assert_eq!(
        seen.desc("tracestate"),
        Some("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
    );
    // Quoted, as Splunk's agent reading the raw header requires, and opening the field, where
    // its iOS agent looks for it.
    assert!(
        seen.raw.starts_with(&format!("traceparent;desc=\"{parent}\"")),
        "{}",
        seen.raw
    );
    let names: Vec<_> = seen.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["traceparent", "tracestate", "total", "db"]);
}

#[actix_web::test]
async fn an_unsampled_incoming_trace_stays_unsampled() {
    let unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    let seen = actix_get(
        ServerTiming::new().trace_context(true),
        "/",
        &[("traceparent", unsampled)],
    )
    .await;
    let parent = seen.traceparent();
    assert_eq!(hex(&parent.trace_id()), INCOMING_TRACE);
    assert!(!parent.sampled());
}

#[actix_web::test]
async fn an_invalid_traceparent_is_never_echoed_and_its_tracestate_is_dropped() {
    for invalid in [
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
        "garbage\"; x=\"",
    ] {
        let headers = [("traceparent", invalid), ("tracestate", "congo=t61rcWkgMzE")];
        let seen = actix_get(ServerTiming::new().trace_context(true), "/", &headers).await;
        let parent = seen.traceparent();
        assert_ne!(hex(&parent.trace_id()), INCOMING_TRACE, "{invalid}");
        assert!(
            !seen.raw.to_ascii_lowercase().contains(INCOMING_TRACE),
            "{}",
            seen.raw
        );
        assert!(parent.sampled(), "a fresh trace is sampled");
        assert_eq!(seen.desc("tracestate"), None, "{invalid}: {}", seen.raw);
        assert_eq!(seen.handler_as_entry(), parent.to_string());
    }
}

#[actix_web::test]
async fn two_traceparent_fields_are_invalid() {
    let headers = [("traceparent", INCOMING), ("traceparent", INCOMING)];
    let seen = actix_get(ServerTiming::new().trace_context(true), "/", &headers).await;
    assert_ne!(hex(&seen.traceparent().trace_id()), INCOMING_TRACE);
}

#[actix_web::test]
async fn a_tracestate_that_cannot_be_passed_on_is_left_out() {
    for invalid in ["Upper=1", "@vendor=1", "novalue", "a=b=c"] {
        let headers = [("traceparent", INCOMING), ("tracestate", invalid)];
        let seen = actix_get(ServerTiming::new().trace_context(true), "/", &headers).await;
        assert_eq!(hex(&seen.traceparent().trace_id()), INCOMING_TRACE);
        assert_eq!(seen.desc("tracestate"), None, "{invalid}: {}", seen.raw);
    }
    // A repeated key keeps the value whole, as the specification lets a vendor do.
    let headers = [("traceparent", INCOMING), ("tracestate", "a=1,a=2")];
    let seen = actix_get(ServerTiming::new().trace_context(true), "/", &headers).await;
    assert_eq!(seen.desc("tracestate"), Some("a=1,a=2"), "{}", seen.raw);
    // Quotes and backslashes are valid in a tracestate value: escaped, and read back exactly.
    let quoted = r#"vendor=say "hi" \o/"#;
    let headers = [("traceparent", INCOMING), ("tracestate", quoted)];
    let seen = actix_get(ServerTiming::new().trace_context(true), "/", &headers).await;
    assert_eq!(seen.desc("tracestate"), Some(quoted), "{}", seen.raw);
}

#[actix_web::test]
async fn without_an_incoming_traceparent_each_request_gets_a_fresh_trace() {
    let a = actix_get(ServerTiming::new().trace_context(true), "/", &[]).await;
    let b = actix_get(ServerTiming::new().trace_context(true), "/", &[]).await;
    assert_ne!(a.traceparent().trace_id(), b.traceparent().trace_id());
    assert_eq!(a.handler_as_entry(), a.traceparent().to_string());
    // A fresh trace id is random: the handler's trace context says so (Level 2's flag 02),
    // the entry carries the sampled flag alone.
    assert_eq!(a.body.parse::<TraceParent>().unwrap().flags(), 0x03);
    assert_eq!(a.traceparent().flags(), 0x01);
}

#[actix_web::test]
async fn a_response_a_shared_cache_may_store_gets_no_trace_unless_asked() {
    let timing = ServerTiming::new().trace_context(true);
    let cached = actix_get(timing.clone(), "/cached", &[("traceparent", INCOMING)]).await;
    assert_eq!(cached.desc("traceparent"), None, "{}", cached.raw);
    assert!(cached.desc("total").is_some());
    // The application still knows the request's trace, e.g. for its logs.
    assert!(cached.body.contains(INCOMING_TRACE));

    let private = actix_get(timing, "/private", &[("traceparent", INCOMING)]).await;
    assert_eq!(hex(&private.traceparent().trace_id()), INCOMING_TRACE);

    let anyway = ServerTiming::new()
        .trace_context(true)
        .trace_context_on_cacheable(true);
    let cached = actix_get(anyway, "/cached", &[("traceparent", INCOMING)]).await;
    assert_eq!(hex(&cached.traceparent().trace_id()), INCOMING_TRACE);
}

#[actix_web::test]
async fn the_trace_fits_the_budget_before_the_metrics() {
    let timing = ServerTiming::new().trace_context(true).header_budget(256);
    let seen = actix_get(timing, "/many", &[]).await;
    assert!(seen.raw.len() <= 256, "{}", seen.raw);
    assert_eq!(seen.handler_as_entry(), seen.traceparent().to_string());
    assert!(seen.desc("omitted").is_some(), "{}", seen.raw);
}

/// An axum app behind the layer, served until [`AxumServer::stop`].
async fn serve_axum(layer: ServerTimingLayer) -> AxumServer {
    let app = Router::new()
        .route("/", get(|| async { seen_by_handler() }))
        .route(
            "/cached",
            get(|| async { ([("cache-control", "s-maxage=30")], seen_by_handler()) }),
        )
        .layer(layer);
    AxumServer::start(app).await
}

async fn axum_get(server: &AxumServer, path: &str, headers: &[(&str, &str)]) -> Seen {
    let mut request = client().get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    read(bounded(request.send()).await.unwrap()).await
}

#[tokio::test]
async fn through_the_tower_layer() {
    let server = serve_axum(ServerTimingLayer::new().trace_context(true)).await;
    let headers = [("traceparent", INCOMING), ("tracestate", "congo=t61rcWkgMzE")];
    let seen = axum_get(&server, "/", &headers).await;
    let parent = seen.traceparent();
    assert_eq!(hex(&parent.trace_id()), INCOMING_TRACE);
    assert_ne!(hex(&parent.parent_id()), INCOMING_SPAN);
    assert_eq!(seen.handler_as_entry(), parent.to_string());
    assert_eq!(seen.desc("tracestate"), Some("congo=t61rcWkgMzE"));

    let invalid = axum_get(&server, "/", &[("traceparent", "00-zz"), ("tracestate", "a=1")]).await;
    assert_ne!(hex(&invalid.traceparent().trace_id()), INCOMING_TRACE);
    assert_eq!(invalid.desc("tracestate"), None);

    let cached = axum_get(&server, "/cached", &headers).await;
    assert_eq!(cached.desc("traceparent"), None, "{}", cached.raw);
    assert!(cached.body.contains(INCOMING_TRACE));
    server.stop().await;

    let server = serve_axum(ServerTimingLayer::new()).await;
    let off = axum_get(&server, "/", &headers).await;
    assert_eq!(off.desc("traceparent"), None);
    assert_eq!(off.body, "");
    server.stop().await;
}

#[tokio::test]
async fn through_the_http_adapter() {
    let mut request = HeaderMap::new();
    request.insert("traceparent", INCOMING.parse().unwrap());
    let timings = Timings::for_request(Options::new().trace_context(true), &request);
    let response = timed_response(timings, async { http::Response::new(seen_by_handler()) }).await;
    let raw = response.headers()["server-timing"].to_str().unwrap().to_owned();
    let entries = parse(&raw);
    assert_eq!(entries[0].name, "traceparent");
    assert_eq!(entries[0].description, as_entry(response.body()));
    assert!(response.body().contains(INCOMING_TRACE));

    let timings = Timings::for_request(Options::new().trace_context(true), &request);
    let response = timed_response(timings, async {
        http::Response::builder()
            .header("cache-control", "max-age=600")
            .body(())
            .unwrap()
    })
    .await;
    let raw = response.headers()["server-timing"].to_str().unwrap();
    assert!(!raw.contains("traceparent"), "{raw}");
}

/// A streamed response (so its metrics may go in a trailer), with `cache_control` if given.
async fn streamed(
    cache_control: Option<&'static str>,
    _: http::Request<String>,
) -> Result<http::Response<StreamBody<Chunks>>, Infallible> {
    let chunks: Chunks = futures::stream::iter(vec![Ok(Frame::data(Bytes::from_static(b"chunk")))]);
    let mut response = http::Response::new(StreamBody::new(chunks));
    if let Some(value) = cache_control {
        response
            .headers_mut()
            .insert("cache-control", http::HeaderValue::from_static(value));
    }
    Ok(response)
}

type Chunks = futures::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>;

#[tokio::test]
async fn in_a_trailer_the_cache_rule_is_applied_from_the_response_head() {
    for (cache_control, written) in [(None, true), (Some("public, max-age=60"), false)] {
        let layer = ServerTimingLayer::new().trailers(true).trace_context(true);
        let service = tower::ServiceBuilder::new()
            .layer(layer)
            .service_fn(move |request| streamed(cache_control, request));
        let request = http::Request::builder()
            .header("te", "trailers")
            .header("traceparent", INCOMING)
            .body(String::new())
            .unwrap();
        let response = bounded(service.oneshot(request)).await.unwrap();
        assert_eq!(response.headers().get("trailer").unwrap(), "server-timing");
        let collected = bounded(response.into_body().collect()).await.unwrap();
        let trailers = collected.trailers().expect("a Server-Timing trailer");
        let entries = parse(trailers["server-timing"].to_str().unwrap());
        let traceparent = entries.iter().find(|e| e.name == "traceparent");
        assert_eq!(traceparent.is_some(), written, "{cache_control:?}: {entries:?}");
        if let Some(entry) = traceparent {
            assert!(entry.description.contains(INCOMING_TRACE));
        }
    }
}
