//! `ServerTimingLayer::on_complete` and `send_when`, end to end: an axum app over loopback, a
//! hyper client that reads headers and trailers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::StatusCode;
use axum::routing::get;
use bytes::Bytes;
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{parse, record};
use server_timing_tests::axum_server::AxumServer;
use server_timing_tests::hooks::{
    Calls, assert_reset_after, assert_same_metrics, assert_user_call, header_metrics, load_user, render, slow,
};
use server_timing_tests::names::names;
use server_timing_tests::wait::bounded;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tower::ServiceExt as _;

const CHUNKS: u32 = 3;
const CHUNK_DELAY: Duration = Duration::from_millis(20);

async fn user(axum::extract::Path(id): axum::extract::Path<u32>) -> String {
    render(&load_user(id).await)
}

async fn failing() -> (StatusCode, String) {
    let _ = load_user(0).await;
    (StatusCode::SERVICE_UNAVAILABLE, "down".to_owned())
}

async fn panicking() -> String {
    let _ = load_user(0).await;
    panic!("handler panic (expected by the test)");
}

async fn hanging() -> String {
    let _ = load_user(0).await;
    slow().await;
    "never".to_owned()
}

/// `CHUNKS` chunks, `CHUNK_DELAY` apart, each recording `chunk` (seen only where the body is
/// polled with the request's collector current: trailer mode).
async fn streamed() -> Body {
    let _ = load_user(0).await;
    let chunks = futures::stream::unfold(0, |sent| async move {
        if sent == CHUNKS {
            return None;
        }
        tokio::time::sleep(CHUNK_DELAY).await;
        record("chunk", Duration::from_millis(1));
        Some((Ok::<_, Infallible>(Bytes::from_static(b"chunk\n")), sent + 1))
    });
    Body::from_stream(chunks)
}

async fn serve(calls: &Calls) -> AxumServer {
    let layer = ServerTimingLayer::new()
        .when(|head| head.uri.path() != "/untimed")
        .send_when(|head| !head.headers.contains_key("x-no-send"))
        .trailers(true)
        .on_complete(calls.hook());
    let app = Router::new()
        .route("/user/{id}", get(user))
        .route("/untimed", get(|| async { render("nobody") }))
        .route("/error", get(failing))
        .route("/panic", get(panicking))
        .route("/hang", get(hanging))
        .route("/stream", get(streamed))
        .layer(layer);
    AxumServer::start(app).await
}

struct Received {
    status: u16,
    headers: HeaderMap,
    trailers: Option<HeaderMap>,
}

/// One request on its own HTTP/1.1 connection; `Err` when the server dropped it.
async fn fetch(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Result<Received, hyper::Error> {
    bounded(async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let mut request = Request::get(format!("http://{addr}{path}")).header("host", addr.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = sender
            .send_request(request.body(Empty::<Bytes>::new()).unwrap())
            .await?;
        let (parts, body) = response.into_parts();
        let collected = body.collect().await?;
        Ok(Received {
            status: parts.status.as_u16(),
            headers: parts.headers,
            trailers: collected.trailers().cloned(),
        })
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn called_once_with_the_metrics_the_header_carried() {
    let calls = Calls::new();
    let server = serve(&calls).await;
    let received = fetch(server.addr, "/user/7?page=2", &[]).await.unwrap();
    assert_eq!(received.status, 200);
    let call = calls.one().await;
    assert_user_call(&call, &received.headers);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_body_is_done_when_it_ends() {
    let calls = Calls::new();
    let server = serve(&calls).await;
    let received = fetch(server.addr, "/stream", &[]).await.unwrap();
    let call = calls.one().await;
    let streamed = CHUNK_DELAY * CHUNKS;
    assert!(
        call.total >= streamed,
        "total {:?} ends before the body did",
        call.total
    );
    // The header was written with the head, before the body streamed; the hook also got
    // what the body recorded as it streamed, after what the header carried.
    let header = header_metrics(&received.headers);
    assert!(header[0].duration < streamed.as_secs_f64() * 1e3, "{header:?}");
    assert_eq!(names(&call.metrics), ["db", "chunk"]);
    assert_eq!(call.metric("chunk").count(), CHUNKS);
    let mut up_to_the_head = call.clone();
    up_to_the_head.metrics.truncate(header.len() - 1);
    assert_same_metrics(&up_to_the_head, &header);
    assert!(call.sent && !call.aborted);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trailer_carries_what_the_call_holds() {
    let calls = Calls::new();
    let server = serve(&calls).await;
    let received = fetch(server.addr, "/stream", &[("te", "trailers")])
        .await
        .unwrap();
    assert!(!received.headers.contains_key("server-timing"));
    let trailers = received.trailers.expect("a Server-Timing trailer");
    let call = calls.one().await;
    assert!(call.sent && !call.aborted, "{call:?}");
    assert_eq!(names(&call.metrics), ["db", "chunk"]);
    assert_eq!(call.metric("chunk").count(), CHUNKS);
    assert_same_metrics(&call, &header_metrics(&trailers));
    let trailer_total = parse(trailers["server-timing"].to_str().unwrap())[0].duration;
    assert!(trailer_total >= (CHUNK_DELAY * CHUNKS).as_secs_f64() * 1e3);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_responses_and_404_are_reported_with_their_status() {
    let calls = Calls::new();
    let server = serve(&calls).await;

    let received = fetch(server.addr, "/error", &[]).await.unwrap();
    assert_eq!(received.status, 503);
    let call = calls.one().await;
    assert_eq!((call.status, call.route.as_deref()), (503, Some("/error")));
    assert!(call.sent && !call.aborted);
    assert_same_metrics(&call, &header_metrics(&received.headers));

    let received = fetch(server.addr, "/nowhere", &[]).await.unwrap();
    assert_eq!(received.status, 404);
    let call = calls.one().await;
    assert_eq!(
        (call.status, call.path.as_str(), call.route.as_deref()),
        (404, "/nowhere", None)
    );
    assert!(call.metrics.is_empty() && call.sent);
    assert_same_metrics(&call, &header_metrics(&received.headers));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_reported_as_a_500_with_what_it_recorded() {
    let calls = Calls::new();
    let server = serve(&calls).await;
    assert!(
        fetch(server.addr, "/panic", &[]).await.is_err(),
        "hyper drops the connection"
    );
    let call = calls.one().await;
    assert_eq!(call.status, 500);
    assert!(call.aborted && !call.sent, "{call:?}");
    assert_eq!(names(&call.metrics), ["db"]);
    // The server goes on.
    assert_eq!(fetch(server.addr, "/user/1", &[]).await.unwrap().status, 200);
    assert_eq!(calls.one().await.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_resets_mid_request_is_reported_with_what_ran() {
    let calls = Calls::new();
    let server = serve(&calls).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /hang HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .unwrap();
    let ran = Duration::from_millis(100);
    tokio::time::sleep(ran).await;
    stream.set_zero_linger().unwrap();
    drop(stream);
    assert_reset_after(&calls.one().await, ran);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_when_false_collects_without_sending() {
    let calls = Calls::new();
    let server = serve(&calls).await;
    let received = fetch(server.addr, "/user/3", &[("x-no-send", "1")])
        .await
        .unwrap();
    assert_eq!(received.status, 200);
    assert!(!received.headers.contains_key("server-timing"));
    let call = calls.one().await;
    assert!(!call.sent && !call.aborted, "{call:?}");
    assert_eq!(names(&call.metrics), ["db", "render"]);

    // Nor in a trailer.
    let received = fetch(server.addr, "/stream", &[("x-no-send", "1"), ("te", "trailers")])
        .await
        .unwrap();
    assert!(received.trailers.is_none() && !received.headers.contains_key("server-timing"));
    let call = calls.one().await;
    assert!(!call.sent && call.total >= CHUNK_DELAY * CHUNKS, "{call:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_false_collects_nothing_and_calls_nothing() {
    let calls = Calls::new();
    let server = serve(&calls).await;
    let received = fetch(server.addr, "/untimed", &[]).await.unwrap();
    assert_eq!(received.status, 200);
    assert!(!received.headers.contains_key("server-timing"));
    calls.exactly(0).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_when_false_without_a_hook_sends_nothing() {
    let app = Router::new()
        .route("/user/{id}", get(user))
        .layer(ServerTimingLayer::new().send_when(|head| head.headers.contains_key("x-staff")));
    let response = app
        .clone()
        .oneshot(Request::get("/user/1").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(!response.headers().contains_key("server-timing"));
    let staff = Request::get("/user/1")
        .header("x-staff", "1")
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(staff).await.unwrap();
    assert!(response.headers().contains_key("server-timing"));
}
