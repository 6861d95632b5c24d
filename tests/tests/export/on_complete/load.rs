//! Under load, over loopback: 10,000 requests, 32 at a time, through each adapter (actix, the
//! tower layer in axum, the `http` adapter in bare hyper). `on_complete` is called exactly once
//! per request, and each call holds only its own request's metrics.

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use server_timing_runtime::http::timed_response;
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{Timings, describe, parse, record, server_timing};
use server_timing_tests::axum_server::AxumServer;
use server_timing_tests::clients::client;
use server_timing_tests::hooks::{Call, Calls, id_of};
use server_timing_tests::hyper_server::HyperServer;
use server_timing_tests::names::names;

const REQUESTS: usize = 10_000;
const CONCURRENT: usize = 32;
/// The whole load of one adapter, at most.
const LOAD_DEADLINE: Duration = Duration::from_secs(240);

#[server_timing]
fn render(id: usize) -> String {
    format!("request {id}")
}

/// What every adapter's handler does for request `id`: metrics only that request has.
fn handle(id: usize) -> String {
    describe("id", id.to_string());
    record("work", work(id));
    render(id)
}

fn work(id: usize) -> Duration {
    Duration::from_micros(u64::try_from(id % 1000).unwrap())
}

/// Send `REQUESTS` requests to `/n/{id}`, `CONCURRENT` at a time; every response must carry
/// its own metrics in its header.
async fn load(addr: SocketAddr) {
    let client = client();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..CONCURRENT {
        let (client, next) = (client.clone(), next.clone());
        workers.push(async move {
            loop {
                let id = next.fetch_add(1, Ordering::Relaxed);
                if id >= REQUESTS {
                    return;
                }
                let response = client.get(format!("http://{addr}/n/{id}")).send().await.unwrap();
                assert_eq!(response.status(), 200);
                let header = parse(response.headers()["server-timing"].to_str().unwrap());
                let desc = header
                    .iter()
                    .find(|m| m.name == "id")
                    .map(|m| m.description.clone());
                assert_eq!(desc, Some(id.to_string()), "request {id}'s header: {header:?}");
                assert_eq!(response.text().await.unwrap(), format!("request {id}"));
            }
        });
    }
    tokio::time::timeout(LOAD_DEADLINE, futures::future::join_all(workers))
        .await
        .expect("the load finished within its deadline");
}

/// Exactly one call per request, each with that request's metrics and nobody else's.
async fn check(calls: &Calls) {
    let calls = calls.exactly(REQUESTS).await;
    let mut seen = HashSet::new();
    for call in &calls {
        let id = id_of(&call.path);
        assert!(seen.insert(id), "a second call for request {id}");
        assert_eq!(names(&call.metrics), ["id", "work", "render"], "{call:?}");
        assert_eq!(
            call.metric("id").description(),
            Some(id.to_string().as_str()),
            "{call:?}"
        );
        let own = call.metric("work");
        assert_eq!((own.duration(), own.count()), (Some(work(id)), 1), "{call:?}");
        assert!(call.sent && !call.aborted && call.status == 200, "{call:?}");
    }
    assert_eq!(seen, (0..REQUESTS).collect::<HashSet<_>>());
    let threads: HashSet<_> = calls.iter().map(|c: &Call| c.thread).collect();
    eprintln!("{} calls on {} threads", calls.len(), threads.len());
}

#[actix_web::test]
async fn actix() {
    use actix_web::{HttpResponse, web};
    let calls = Calls::new();
    let timing = server_timing_runtime::actix::ServerTiming::new().on_complete(calls.hook());
    let server = server_timing_tests::actix_server::serve(timing, |cfg| {
        cfg.route(
            "/n/{id}",
            web::get().to(|id: web::Path<usize>| async move { HttpResponse::Ok().body(handle(*id)) }),
        );
    });
    load(server.addr).await;
    check(&calls).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tower() {
    use axum::routing::get;
    let calls = Calls::new();
    let app = axum::Router::new()
        .route(
            "/n/{id}",
            get(|axum::extract::Path(id): axum::extract::Path<usize>| async move { handle(id) }),
        )
        .layer(ServerTimingLayer::new().on_complete(calls.hook()));
    let server = AxumServer::start(app).await;
    let addr = server.addr;
    load(addr).await;
    check(&calls).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_adapter() {
    let calls = Calls::new();
    let hook = calls.arc_hook();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let (head, _) = request.into_parts();
        let id = id_of(head.uri.path());
        timed_response(Timings::new(), async move {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(handle(id)))))
        })
        .on_complete(&head, hook.clone())
    });
    let server = HyperServer::start(service).await;
    load(server.addr).await;
    check(&calls).await;
    server.stop().await;
}
