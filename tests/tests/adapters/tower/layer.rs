//! `tower::ServerTimingLayer` in front of axum 0.8 and bare hyper 1.x, over real sockets, and
//! each option through the layer.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::response::AppendHeaders;
use axum::routing::get;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::service::TowerToHyperService;
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{
    OMITTED_NAME, Options, ParsedMetric, Repeated, Timings, describe, parse, record, sanitize_description,
    server_timing,
};
use server_timing_tests::axum_server::AxumServer;
use server_timing_tests::clients::client;
use server_timing_tests::entries::fields;
use server_timing_tests::hyper_server::HyperServer;
use server_timing_tests::names::{find, names};
use server_timing_tests::wait::bounded;
use tower::{ServiceBuilder, ServiceExt};

/// GET `path`; the response's headers and body text.
async fn get_over_socket(addr: SocketAddr, path: &str) -> (HeaderMap, String) {
    let client = client();
    bounded(async {
        let response = client.get(format!("http://{addr}{path}")).send().await.unwrap();
        let headers = response.headers().clone();
        (headers, response.text().await.unwrap())
    })
    .await
}

/// The one `Server-Timing` field the layer wrote, as a browser reads it.
fn only_field(headers: &HeaderMap) -> Vec<ParsedMetric> {
    let fields = fields(headers);
    assert_eq!(fields.len(), 1, "one Server-Timing field: {fields:?}");
    parse(&fields[0])
}

const DB_SLEEP: Duration = Duration::from_millis(5);

#[server_timing("db", desc = "DB read")]
async fn load_user() -> String {
    tokio::time::sleep(DB_SLEEP).await;
    "ada".to_owned()
}

#[server_timing]
fn render(user: &str) -> String {
    format!("hello {user}")
}

async fn hello() -> String {
    let user = load_user().await;
    render(&user)
}

#[tokio::test]
async fn axum_app_gets_total_and_every_handler_metric() {
    let app = Router::new()
        .route("/", get(hello))
        .layer(ServerTimingLayer::new());
    let server = AxumServer::start(app).await;

    let (headers, body) = get_over_socket(server.addr, "/").await;
    server.stop().await;

    assert_eq!(body, "hello ada");
    let metrics = only_field(&headers);
    assert_eq!(names(&metrics), ["total", "db", "render"]);
    let db = find(&metrics, "db");
    assert_eq!(db.description, "DB read");
    assert!(db.duration >= DB_SLEEP.as_secs_f64() * 1e3, "{db:?}");
    assert!(metrics[0].duration >= db.duration, "{metrics:?}");
    assert!(!headers.contains_key("timing-allow-origin"));
}

#[tokio::test]
async fn bare_hyper_server_with_the_layer() {
    let service = ServiceBuilder::new()
        .layer(ServerTimingLayer::new().total("server"))
        .service_fn(|request: Request<Incoming>| async move {
            let user = load_user().await;
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(format!(
                "{user} asked for {}",
                request.uri().path()
            )))))
        });
    let server = HyperServer::start(TowerToHyperService::new(service)).await;

    let (headers, body) = get_over_socket(server.addr, "/users").await;
    server.stop().await;

    assert_eq!(body, "ada asked for /users");
    let metrics = only_field(&headers);
    assert_eq!(names(&metrics), ["server", "db"]);
    assert!(find(&metrics, "db").duration >= DB_SLEEP.as_secs_f64() * 1e3);
}

async fn report_collector() -> &'static str {
    if Timings::current().is_some() {
        "collector"
    } else {
        "no collector"
    }
}

#[tokio::test]
async fn a_request_the_predicate_refuses_has_no_collector_and_no_header() {
    let app = Router::new()
        .route("/health", get(report_collector))
        .route("/page", get(report_collector))
        .layer(ServerTimingLayer::new().when(|head| head.uri.path() != "/health"));
    let server = AxumServer::start(app).await;

    let (headers, body) = get_over_socket(server.addr, "/health").await;
    assert_eq!(body, "no collector");
    assert!(fields(&headers).is_empty());

    let (headers, body) = get_over_socket(server.addr, "/page").await;
    assert_eq!(body, "collector");
    assert_eq!(names(only_field(&headers)), ["total"]);
    server.stop().await;
}

#[tokio::test]
async fn the_predicate_sees_headers_and_works_with_any_body() {
    let service = ServiceBuilder::new()
        .layer(ServerTimingLayer::new().when(|head| head.headers.contains_key("x-timing")))
        .service_fn(|_: Request<Full<Bytes>>| async { Ok::<_, Infallible>(Response::new(String::new())) });

    let asked = Request::builder()
        .header("x-timing", "1")
        .body(Full::new(Bytes::from_static(b"payload")))
        .unwrap();
    let response = service.clone().oneshot(asked).await.unwrap();
    assert_eq!(fields(response.headers()).len(), 1);

    let response = service
        .oneshot(Request::new(Full::new(Bytes::new())))
        .await
        .unwrap();
    assert!(fields(response.headers()).is_empty());
}

const DB_STEP: Duration = Duration::from_micros(1400);

/// Two `db` recordings, a described `cache`, a `render`.
async fn recorded() -> &'static str {
    record("db", DB_STEP);
    record("db", DB_STEP);
    describe("cache", "hit");
    record("render", Duration::from_millis(2));
    "ok"
}

/// Forty metrics with long descriptions: more than a small header budget holds.
async fn many() -> &'static str {
    for i in 0..40 {
        record(format!("step{i}"), Duration::from_millis(1));
        describe(
            format!("step{i}"),
            "a description long enough to fill a header budget",
        );
    }
    "ok"
}

/// The response headers of GET `path` on the options app, in process.
async fn headers_with(layer: ServerTimingLayer, path: &str) -> HeaderMap {
    let app = Router::new()
        .route("/recorded", get(recorded))
        .route("/many", get(many))
        .layer(layer);
    let request = Request::builder().uri(path).body(Body::empty()).unwrap();
    let response = app.oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    assert_eq!(body.collect().await.unwrap().to_bytes(), "ok");
    parts.headers
}

async fn metrics_with(layer: ServerTimingLayer) -> Vec<ParsedMetric> {
    only_field(&headers_with(layer, "/recorded").await)
}

#[tokio::test]
async fn by_default_repeated_names_are_aggregated_at_microsecond_precision() {
    let metrics = metrics_with(ServerTimingLayer::default()).await;
    assert_eq!(names(&metrics), ["total", "db", "cache", "render"]);
    assert_eq!(find(&metrics, "db").duration, 2.8);
    assert_eq!(find(&metrics, "db").description, "2 calls");
    assert_eq!(find(&metrics, "cache").description, "hit");
}

#[tokio::test]
async fn precision_option() {
    let metrics = metrics_with(ServerTimingLayer::new().precision(0)).await;
    assert_eq!(find(&metrics, "db").duration, 3.0);
    assert_eq!(find(&metrics, "render").duration, 2.0);
}

#[tokio::test]
async fn repeated_each_option() {
    let metrics = metrics_with(ServerTimingLayer::new().repeated(Repeated::Each)).await;
    assert_eq!(names(&metrics), ["total", "db", "db", "cache", "render"]);
    assert_eq!(metrics[1].duration, 1.4);
    assert_eq!(metrics[2].duration, 1.4);
}

#[tokio::test]
async fn max_metrics_option() {
    let metrics = metrics_with(ServerTimingLayer::new().max_metrics(2)).await;
    assert_eq!(names(&metrics), ["total", "db", "cache", OMITTED_NAME]);
}

#[tokio::test]
async fn header_budget_option() {
    let budget = 300;
    let headers = headers_with(ServerTimingLayer::new().header_budget(budget), "/many").await;
    let fields = fields(&headers);
    assert_eq!(fields.len(), 1);
    assert!(
        fields[0].len() <= budget,
        "{} bytes: {}",
        fields[0].len(),
        fields[0]
    );
    let metrics = parse(&fields[0]);
    assert_eq!(metrics.first().map(|m| m.name.as_str()), Some("total"));
    assert_eq!(metrics.last().map(|m| m.name.as_str()), Some(OMITTED_NAME));
    assert!(metrics.len() < 40, "{metrics:?}");
}

#[tokio::test]
async fn descriptions_option() {
    let metrics = metrics_with(ServerTimingLayer::new().descriptions(false)).await;
    assert_eq!(names(&metrics), ["total", "db", "cache", "render"]);
    assert!(metrics.iter().all(|m| m.description.is_empty()), "{metrics:?}");
}

#[tokio::test]
async fn total_name_and_description_options() {
    let metrics = metrics_with(
        ServerTimingLayer::new()
            .total("app")
            .total_description("Whole request"),
    )
    .await;
    assert_eq!(names(&metrics), ["app", "db", "cache", "render"]);
    assert_eq!(metrics[0].description, "Whole request");
}

#[tokio::test]
async fn no_total_option() {
    let metrics = metrics_with(ServerTimingLayer::new().no_total()).await;
    assert_eq!(names(&metrics), ["db", "cache", "render"]);
}

#[tokio::test]
async fn options_option_replaces_them_all() {
    let layer = ServerTimingLayer::new()
        .precision(6)
        .options(Options::new().no_total().precision(0));
    let metrics = metrics_with(layer).await;
    assert_eq!(names(&metrics), ["db", "cache", "render"]);
    assert_eq!(metrics[0].duration, 3.0);
}

#[tokio::test]
async fn timing_allow_origin_option() {
    let layer = ServerTimingLayer::new()
        .timing_allow_origin(HeaderValue::from_static("https://a.example"))
        .timing_allow_origin(HeaderValue::from_static("https://b.example"));
    let headers = headers_with(layer, "/recorded").await;
    let origins: Vec<_> = headers.get_all("timing-allow-origin").iter().collect();
    assert_eq!(origins, ["https://a.example", "https://b.example"]);
}

#[server_timing("macro", desc = "say \"hi\" from C:\\tmp")]
fn described_by_the_macro() {}

const HOSTILE: [(&str, &str); 4] = [
    ("quote", "say \"hi\""),
    ("backslash", "C:\\temp\\new"),
    ("newline", "line one\nline two"),
    ("everything", "a\"b\\c\r\nd\te"),
];

async fn hostile_descriptions() -> &'static str {
    for (name, description) in HOSTILE {
        describe(name, description);
    }
    described_by_the_macro();
    record("db", Duration::from_millis(1));
    "ok"
}

#[tokio::test]
async fn quotes_backslashes_and_newlines_in_descriptions_still_give_every_metric() {
    let app = Router::new()
        .route("/", get(hostile_descriptions))
        .layer(ServerTimingLayer::new());
    let server = AxumServer::start(app).await;

    let (headers, body) = get_over_socket(server.addr, "/").await;
    server.stop().await;

    assert_eq!(body, "ok");
    let metrics = only_field(&headers);
    assert_eq!(
        names(&metrics),
        [
            "total",
            "quote",
            "backslash",
            "newline",
            "everything",
            "macro",
            "db"
        ]
    );
    assert_eq!(find(&metrics, "quote").description, "say \"hi\"");
    assert_eq!(find(&metrics, "backslash").description, "C:\\temp\\new");
    assert_eq!(find(&metrics, "newline").description, "line one line two");
    assert_eq!(
        find(&metrics, "everything").description,
        sanitize_description("a\"b\\c\r\nd\te")
    );
    assert_eq!(find(&metrics, "macro").description, "say \"hi\" from C:\\tmp");
    assert_eq!(find(&metrics, "db").duration, 1.0);
}

async fn with_own_fields() -> (AppendHeaders<[(&'static str, &'static str); 3]>, &'static str) {
    record("db", Duration::from_millis(1));
    (
        AppendHeaders([
            ("server-timing", "app;dur=7"),
            ("server-timing", "cache;desc=miss"),
            ("timing-allow-origin", "https://mine.example"),
        ]),
        "ok",
    )
}

#[tokio::test]
async fn fields_the_application_set_are_kept_as_they_are() {
    let app = Router::new()
        .route("/", get(with_own_fields))
        .layer(ServerTimingLayer::new().timing_allow_origin(HeaderValue::from_static("*")));
    let server = AxumServer::start(app).await;

    let (headers, _) = get_over_socket(server.addr, "/").await;
    server.stop().await;

    let fields = fields(&headers);
    assert_eq!(fields.len(), 3, "{fields:?}");
    assert_eq!(fields[..2], ["app;dur=7", "cache;desc=miss"]);
    assert_eq!(names(parse(&fields[2])), ["total", "db"]);
    let origins: Vec<_> = headers.get_all("timing-allow-origin").iter().collect();
    assert_eq!(origins, ["https://mine.example"]);
}

#[tokio::test]
async fn an_error_from_the_inner_service_passes_through() {
    let service = ServiceBuilder::new()
        .layer(ServerTimingLayer::new())
        .service_fn(|_: Request<String>| async { Err::<Response<String>, _>("refused") });

    let result = service.oneshot(Request::new(String::new())).await;

    assert_eq!(result.err(), Some("refused"));
}
