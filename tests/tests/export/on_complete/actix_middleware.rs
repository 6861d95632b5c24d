//! `actix::ServerTiming::on_complete` and `send_when`, end to end: a real 2-worker actix
//! server on loopback, reqwest and raw sockets as clients.
//!
//! The middleware wraps the response body, so the hook runs once the body has ended, with
//! what the body recorded as it streamed.

use std::time::Duration;

use actix_web::{HttpResponse, error, web};
use server_timing_runtime::actix::ServerTiming;
use server_timing_tests::actix_server::serve;
use server_timing_tests::clients::client;
use server_timing_tests::hooks::{
    Calls, assert_reset_after, assert_same_metrics, assert_user_call, header_metrics, load_user, render, slow,
};
use server_timing_tests::names::names;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

async fn user(id: web::Path<u32>) -> HttpResponse {
    HttpResponse::Ok().body(render(&load_user(*id).await))
}

async fn failing() -> Result<HttpResponse, actix_web::Error> {
    let _ = load_user(0).await;
    Err(error::ErrorServiceUnavailable("down"))
}

async fn panicking() -> HttpResponse {
    let _ = load_user(0).await;
    panic!("handler panic (expected by the test)");
}

async fn hanging() -> HttpResponse {
    let _ = load_user(0).await;
    slow().await;
    HttpResponse::Ok().finish()
}

const CHUNKS: u32 = 3;
const CHUNK_DELAY: Duration = Duration::from_millis(20);

/// A body of `CHUNKS` chunks, `CHUNK_DELAY` apart, each recording `chunk` as it is made, as a
/// template rendered into the body does.
async fn streamed() -> HttpResponse {
    let chunks = futures::stream::unfold(0, |sent| async move {
        if sent == CHUNKS {
            return None;
        }
        tokio::time::sleep(CHUNK_DELAY).await;
        server_timing_runtime::record("chunk", Duration::from_millis(1));
        Some((
            Ok::<_, actix_web::Error>(web::Bytes::from_static(b"chunk\n")),
            sent + 1,
        ))
    });
    HttpResponse::Ok().streaming(chunks)
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/user/{id}", web::get().to(user))
        .route("/stream", web::get().to(streamed))
        .route(
            "/untimed",
            web::get().to(|| async { HttpResponse::Ok().body(render("nobody")) }),
        )
        .route("/error", web::get().to(failing))
        .route("/panic", web::get().to(panicking))
        .route("/hang", web::get().to(hanging));
}

fn timing(calls: &Calls) -> ServerTiming {
    ServerTiming::new()
        .when(|req| req.path() != "/untimed")
        .send_when(|req| !req.headers().contains_key("x-no-send"))
        .on_complete(calls.hook())
}

#[actix_web::test]
async fn called_once_with_the_metrics_the_header_carried() {
    let calls = Calls::new();
    let server = serve(timing(&calls), routes);
    let response = client().get(server.url("/user/7?page=2")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let call = calls.one().await;
    assert_user_call(&call, response.headers());
    server.stop().await;
}

#[actix_web::test]
async fn a_streamed_body_is_in_the_hook_when_it_ends() {
    let calls = Calls::new();
    let server = serve(timing(&calls), routes);
    let response = client().get(server.url("/stream")).send().await.unwrap();
    let headers = response.headers().clone();
    assert_eq!(response.text().await.unwrap(), "chunk\n".repeat(CHUNKS as usize));
    let call = calls.one().await;
    let streamed = CHUNK_DELAY * CHUNKS;
    // The header went out with the head, before the body streamed.
    let header = header_metrics(&headers);
    assert!(header[0].duration < streamed.as_secs_f64() * 1e3, "{header:?}");
    assert!(header.iter().all(|m| m.name != "chunk"), "{header:?}");
    // The hook ran once the body ended, with what it recorded.
    assert!(
        call.total >= streamed,
        "total {:?} ends before the body",
        call.total
    );
    assert_eq!(names(&call.metrics), ["chunk"]);
    assert_eq!(call.metric("chunk").count(), CHUNKS);
    assert!(call.sent && !call.aborted, "{call:?}");
    server.stop().await;
}

#[actix_web::test]
async fn error_responses_and_404_are_reported_with_their_status() {
    let calls = Calls::new();
    let server = serve(timing(&calls), routes);

    let response = client().get(server.url("/error")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let call = calls.one().await;
    assert_eq!((call.status, call.route.as_deref()), (503, Some("/error")));
    assert!(call.sent && !call.aborted);
    assert_same_metrics(&call, &header_metrics(response.headers()));

    let response = client().get(server.url("/nowhere")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let call = calls.one().await;
    assert_eq!(
        (call.status, call.path.as_str(), call.route.as_deref()),
        (404, "/nowhere", None)
    );
    assert!(call.metrics.is_empty() && call.sent);
    assert_same_metrics(&call, &header_metrics(response.headers()));
    server.stop().await;
}

#[actix_web::test]
async fn a_panicking_handler_is_reported_as_a_500_with_what_it_recorded() {
    let calls = Calls::new();
    let server = serve(timing(&calls), routes);
    let outcome = client().get(server.url("/panic")).send().await;
    if let Ok(response) = &outcome {
        assert_eq!(response.status(), 500, "a panicking handler cannot answer 2xx");
    }
    let call = calls.one().await;
    assert_eq!(call.status, 500);
    assert!(call.aborted && !call.sent, "{call:?}");
    assert_eq!(names(&call.metrics), ["db"]);
    // The server goes on.
    let response = client().get(server.url("/user/1")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(calls.one().await.status, 200);
    server.stop().await;
}

/// actix drops the handler's future when reading the socket fails, as after a reset.
#[actix_web::test]
async fn a_client_that_resets_mid_request_is_reported_with_what_ran() {
    let calls = Calls::new();
    let server = serve(timing(&calls), routes);
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /hang HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .unwrap();
    let ran = Duration::from_millis(100);
    actix_web::rt::time::sleep(ran).await;
    stream.set_zero_linger().unwrap();
    drop(stream);
    assert_reset_after(&calls.one().await, ran);
    server.stop().await;
}

#[actix_web::test]
async fn send_when_false_collects_without_sending() {
    let calls = Calls::new();
    let server = serve(timing(&calls), routes);
    let response = client()
        .get(server.url("/user/3"))
        .header("x-no-send", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(!response.headers().contains_key("server-timing"));
    let call = calls.one().await;
    assert!(!call.sent && !call.aborted, "{call:?}");
    assert_eq!(names(&call.metrics), ["db", "render"]);

    // An error response too.
    let response = client()
        .get(server.url("/error"))
        .header("x-no-send", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(!response.headers().contains_key("server-timing"));
    let call = calls.one().await;
    assert_eq!((call.status, call.sent), (503, false));
    server.stop().await;
}

#[actix_web::test]
async fn when_false_collects_nothing_and_calls_nothing() {
    let calls = Calls::new();
    let server = serve(timing(&calls), routes);
    let response = client().get(server.url("/untimed")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(!response.headers().contains_key("server-timing"));
    calls.exactly(0).await;
    server.stop().await;
}

#[actix_web::test]
async fn send_when_false_without_a_hook_sends_nothing() {
    use actix_web::test::{TestRequest, call_service, init_service};
    let timing = ServerTiming::new().send_when(|req| req.headers().contains_key("x-staff"));
    let app = init_service(actix_web::App::new().wrap(timing).configure(routes)).await;
    let response = call_service(&app, TestRequest::get().uri("/user/1").to_request()).await;
    assert!(!response.headers().contains_key("server-timing"));
    let staff = TestRequest::get().uri("/user/1").insert_header(("x-staff", "1"));
    let response = call_service(&app, staff.to_request()).await;
    assert!(response.headers().contains_key("server-timing"));
}
