//! End-to-end: `actix::ServerTiming` on a real 2-worker server, over TCP, with a real client.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::rt::time::sleep;
use actix_web::{HttpResponse, ResponseError, error, web};
use bytes::Bytes;
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::{FutureExt, Timings, describe, parse, record, server_timing};
use server_timing_tests::actix_server::serve;
use server_timing_tests::clients::client;
use server_timing_tests::entries::{entries, fields, last_entries};
use server_timing_tests::names::names;
use tokio::sync::Notify;

#[server_timing("db", desc = "DB read")]
async fn query() {
    sleep(Duration::from_millis(3)).await;
}

#[server_timing]
fn parse_input() -> usize {
    "{}".len()
}

async fn user() -> HttpResponse {
    describe("cache", "miss");
    let size = parse_input();
    query().await;
    HttpResponse::Ok().body(format!("{size}"))
}

#[actix_web::test]
async fn the_header_lists_what_the_handler_recorded() {
    let server = serve(ServerTiming::new(), |cfg| {
        cfg.route("/user", web::get().to(user));
    });
    let response = client().get(server.url("/user")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK.as_u16());
    assert_eq!(fields(response.headers()).len(), 1);
    let entries = last_entries(&response);
    assert_eq!(names(&entries), ["total", "cache", "parse_input", "db"]);
    assert_eq!(entries[1].desc.as_deref(), Some("miss"));
    assert_eq!(entries[1].dur, None);
    assert_eq!(entries[3].desc.as_deref(), Some("DB read"));
    assert!(entries[3].millis() >= 3.0, "{entries:?}");
    // A browser reads the same entries.
    let browser = parse(&fields(response.headers())[0]);
    assert_eq!(browser.len(), entries.len());
    for (read, entry) in browser.iter().zip(&entries) {
        assert_eq!(read.name, entry.name);
        assert_eq!(read.description, entry.desc.clone().unwrap_or_default());
        assert_eq!(read.duration, entry.dur.as_ref().map_or(0.0, |_| entry.millis()));
    }
    assert_eq!(response.text().await.unwrap(), "2");
    server.stop().await;
}

#[server_timing]
async fn step_a() {
    sleep(Duration::from_millis(2)).await;
}

#[server_timing]
async fn step_b() {
    sleep(Duration::from_millis(3)).await;
}

#[server_timing]
fn step_c() {
    std::thread::sleep(Duration::from_millis(1));
}

#[actix_web::test]
async fn total_is_at_least_the_sum_of_sequential_children() {
    let server = serve(ServerTiming::new(), |cfg| {
        cfg.route(
            "/steps",
            web::get().to(|| async {
                step_a().await;
                step_b().await;
                step_c();
                HttpResponse::Ok().finish()
            }),
        );
    });
    let response = client().get(server.url("/steps")).send().await.unwrap();
    let entries = last_entries(&response);
    assert_eq!(names(&entries), ["total", "step_a", "step_b", "step_c"]);
    let children: f64 = entries[1..].iter().map(|e| e.millis()).sum();
    // Each written value is rounded half up to 3 decimals, so the rounded children may
    // exceed the rounded total by at most half a unit each (the total's own rounding included).
    let rounding = 0.0005 * entries.len() as f64;
    assert!(entries[0].millis() + rounding >= children, "{entries:?}");
    assert!(children >= 6.0, "{entries:?}");
    server.stop().await;
}

async fn mark(path: web::Path<u32>) -> HttpResponse {
    let i = path.into_inner();
    record(format!("mark{i}"), Duration::from_micros(u64::from(i)));
    // Let the other requests on this worker run between this request's recordings.
    sleep(Duration::from_millis(1)).await;
    let spawned = tokio::spawn(
        async move { record(format!("spawned{i}"), Duration::from_micros(u64::from(i) + 1)) }
            .in_current_timings(),
    );
    match spawned.await {
        Ok(()) => HttpResponse::Ok().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[actix_web::test]
async fn concurrent_requests_each_get_only_their_own_metrics() {
    const REQUESTS: u32 = 200;
    let server = serve(ServerTiming::new(), |cfg| {
        cfg.route("/mark/{i}", web::get().to(mark));
    });
    let client = client();
    let requests = (0..REQUESTS).map(|i| {
        let request = client.get(server.url(&format!("/mark/{i}"))).send();
        async move { (i, request.await) }
    });
    let responses = tokio::time::timeout(Duration::from_secs(60), futures::future::join_all(requests))
        .await
        .expect("200 requests within a minute");
    assert_eq!(responses.len(), REQUESTS as usize);
    for (i, response) in responses {
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::OK.as_u16());
        let entries = last_entries(&response);
        let mark = format!("mark{i}");
        let spawned = format!("spawned{i}");
        assert_eq!(names(&entries), ["total", mark.as_str(), spawned.as_str()]);
        let expected = [f64::from(i) / 1000.0, f64::from(i + 1) / 1000.0];
        for (entry, expected) in entries[1..].iter().zip(expected) {
            assert!((entry.millis() - expected).abs() < 1e-9, "{i}: {entries:?}");
        }
    }
    server.stop().await;
}

async fn probe() -> HttpResponse {
    record("probe", Duration::from_millis(1));
    let scoped = if Timings::current().is_some() {
        "in scope"
    } else {
        "no scope"
    };
    HttpResponse::Ok().body(scoped)
}

#[actix_web::test]
async fn a_predicate_saying_no_means_no_collector_and_no_header() {
    let timing =
        ServerTiming::new().when(|req: &ServiceRequest| req.headers().contains_key("x-debug-timing"));
    let server = serve(timing, |cfg| {
        cfg.route("/probe", web::get().to(probe));
    });
    let client = client();

    let plain = client.get(server.url("/probe")).send().await.unwrap();
    assert!(fields(plain.headers()).is_empty());
    assert_eq!(plain.text().await.unwrap(), "no scope");

    let debug = client
        .get(server.url("/probe"))
        .header("x-debug-timing", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(names(last_entries(&debug)), ["total", "probe"]);
    assert_eq!(debug.text().await.unwrap(), "in scope");
    server.stop().await;
}

#[derive(Debug)]
struct Refused(StatusCode);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused with {}", self.0.as_u16())
    }
}

impl ResponseError for Refused {
    fn status_code(&self) -> StatusCode {
        self.0
    }
}

fn error_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/actix-error",
        web::get().to(|| async {
            record("work", Duration::from_millis(1));
            Err::<HttpResponse, _>(error::ErrorBadRequest("bad input"))
        }),
    )
    .route(
        "/client-error",
        web::get().to(|| async {
            record("work", Duration::from_millis(1));
            Err::<HttpResponse, _>(Refused(StatusCode::IM_A_TEAPOT))
        }),
    )
    .route(
        "/server-error",
        web::get().to(|| async {
            record("work", Duration::from_millis(1));
            Err::<HttpResponse, _>(Refused(StatusCode::SERVICE_UNAVAILABLE))
        }),
    )
    .service(
        web::service("/service-error").finish(|_req: ServiceRequest| async {
            record("work", Duration::from_millis(1));
            Err::<ServiceResponse, _>(error::ErrorBadGateway("upstream down"))
        }),
    )
    .service(
        web::scope("/guarded")
            .wrap_fn(|_req, _service| async {
                record("work", Duration::from_millis(1));
                Err::<ServiceResponse, _>(error::ErrorUnauthorized("no token"))
            })
            .route("", web::get().to(HttpResponse::Ok)),
    );
}

#[actix_web::test]
async fn error_responses_carry_the_header() {
    let server = serve(ServerTiming::new(), error_routes);
    let client = client();
    let cases = [
        ("/actix-error", StatusCode::BAD_REQUEST, "bad input", true),
        ("/client-error", StatusCode::IM_A_TEAPOT, "refused with 418", true),
        (
            "/server-error",
            StatusCode::SERVICE_UNAVAILABLE,
            "refused with 503",
            true,
        ),
        ("/service-error", StatusCode::BAD_GATEWAY, "upstream down", true),
        ("/guarded", StatusCode::UNAUTHORIZED, "no token", true),
        ("/nowhere", StatusCode::NOT_FOUND, "", false),
    ];
    for (path, status, body, recorded) in cases {
        let response = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), status.as_u16(), "{path}");
        assert_eq!(fields(response.headers()).len(), 1, "{path}");
        let entries = last_entries(&response);
        let expected: &[&str] = if recorded { &["total", "work"] } else { &["total"] };
        assert_eq!(names(&entries), expected, "{path}");
        assert_eq!(response.text().await.unwrap(), body, "{path}");
    }
    server.stop().await;
}

fn preset_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .wrap_fn(|req, service| {
                record("inner-call", Duration::from_millis(2));
                let response = service.call(req);
                async move {
                    let mut response = response.await?;
                    record("inner-future", Duration::from_millis(3));
                    response
                        .headers_mut()
                        .append("server-timing".parse().unwrap(), "inner;dur=2".parse().unwrap());
                    Ok(response)
                }
            })
            .route(
                "/preset",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .append_header(("server-timing", "app;dur=1"))
                        .append_header(("server-timing", r#"cdn;desc="edge, eu""#))
                        .finish()
                }),
            ),
    );
}

#[actix_web::test]
async fn fields_set_by_the_handler_and_inner_middleware_are_kept() {
    let server = serve(ServerTiming::new(), preset_routes);
    let response = client().get(server.url("/preset")).send().await.unwrap();
    let fields = fields(response.headers());
    assert_eq!(fields.len(), 4, "{fields:?}");
    assert_eq!(
        fields[..3],
        ["app;dur=1", r#"cdn;desc="edge, eu""#, "inner;dur=2"]
    );
    let ours = entries(&fields[3]);
    assert_eq!(names(&ours), ["total", "inner-call", "inner-future"]);
    server.stop().await;
}

#[actix_web::test]
async fn a_streaming_body_gets_the_header_before_it_ends() {
    let release = Arc::new(Notify::new());
    let gate = Arc::clone(&release);
    let server = serve(ServerTiming::new(), move |cfg| {
        let gate = Arc::clone(&gate);
        cfg.route(
            "/stream",
            web::get().to(move || {
                let gate = Arc::clone(&gate);
                async move {
                    record("prepare", Duration::from_millis(1));
                    let first =
                        futures::stream::once(async { Ok::<_, std::io::Error>(Bytes::from("head,")) });
                    let rest = futures::stream::once(async move {
                        gate.notified().await;
                        Ok(Bytes::from("tail"))
                    });
                    HttpResponse::Ok().streaming(futures::StreamExt::chain(first, rest))
                }
            }),
        );
    });
    // The body cannot end before the client releases it, so the header it reads here was
    // written while the body was still streaming.
    let response = client().get(server.url("/stream")).send().await.unwrap();
    assert_eq!(names(last_entries(&response)), ["total", "prepare"]);
    release.notify_one();
    let body = tokio::time::timeout(Duration::from_secs(30), response.text())
        .await
        .expect("the body ends once released")
        .unwrap();
    assert_eq!(body, "head,tail");
    server.stop().await;
}
