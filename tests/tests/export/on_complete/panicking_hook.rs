//! A hook that panics: the panic is contained where the hook runs. The response is sent, the
//! worker thread lives on, and every other request's call is made with its own data.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{Completed, describe};
use server_timing_tests::axum_server::AxumServer;
use server_timing_tests::clients::client;
use server_timing_tests::hooks::{Calls, id_of};
use server_timing_tests::wait::bounded;

const REQUESTS: usize = 200;

/// Panics for odd request ids, records the even ones in `calls`.
fn hook(calls: &Calls) -> impl Fn(&Completed<'_>) + Send + Sync + 'static + use<> {
    let record = calls.hook();
    move |done| {
        let id = id_of(done.path());
        assert!(
            id.is_multiple_of(2),
            "hook panic for request {id} (expected by the test)"
        );
        record(done);
    }
}

fn handle(id: usize) -> String {
    describe("id", id.to_string());
    format!("request {id}")
}

async fn requests(addr: std::net::SocketAddr) {
    let client = client();
    for id in 0..REQUESTS {
        let response = bounded(client.get(format!("http://{addr}/n/{id}")).send())
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "request {id}");
        assert!(response.headers().contains_key("server-timing"));
        assert_eq!(response.text().await.unwrap(), format!("request {id}"));
    }
}

async fn check(calls: &Calls, workers: usize) {
    let calls = calls.exactly(REQUESTS / 2).await;
    let ids: HashSet<usize> = calls.iter().map(|c| id_of(&c.path)).collect();
    assert_eq!(ids, (0..REQUESTS).step_by(2).collect::<HashSet<_>>());
    for call in &calls {
        let id = id_of(&call.path).to_string();
        assert_eq!(call.metric("id").description(), Some(id.as_str()), "{call:?}");
    }
    let threads: HashSet<_> = calls.iter().map(|c| c.thread).collect();
    assert!(
        threads.len() <= workers,
        "a worker was replaced: calls ran on {} threads",
        threads.len()
    );
}

/// Quiet the default panic hook for the expected panics, keeping the others loud.
fn quiet_expected_panics() {
    static ONCE: Mutex<bool> = Mutex::new(false);
    let mut set = ONCE.lock().unwrap();
    if *set {
        return;
    }
    *set = true;
    let default = Arc::new(std::panic::take_hook());
    std::panic::set_hook(Box::new(move |info| {
        let expected = info
            .payload()
            .downcast_ref::<String>()
            .is_some_and(|message| message.contains("expected by the test"));
        if !expected {
            default(info);
        }
    }));
}

#[actix_web::test]
async fn actix() {
    use actix_web::{HttpResponse, web};
    quiet_expected_panics();
    let calls = Calls::new();
    let timing = server_timing_runtime::actix::ServerTiming::new().on_complete(hook(&calls));
    let server = server_timing_tests::actix_server::serve(timing, |cfg| {
        cfg.route(
            "/n/{id}",
            web::get().to(|id: web::Path<usize>| async move { HttpResponse::Ok().body(handle(*id)) }),
        );
    });
    requests(server.addr).await;
    check(&calls, 2).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tower() {
    use axum::routing::get;
    quiet_expected_panics();
    let calls = Calls::new();
    let app = axum::Router::new()
        .route(
            "/n/{id}",
            get(|axum::extract::Path(id): axum::extract::Path<usize>| async move { handle(id) }),
        )
        .layer(ServerTimingLayer::new().on_complete(hook(&calls)));
    let server = AxumServer::start(app).await;
    let addr = server.addr;
    requests(addr).await;
    check(&calls, 2).await;
    server.stop().await;
}
