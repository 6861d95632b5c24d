//! Faults: a panic inside an instrumented fn, a client that goes away mid-request, and a slow
//! call cut off by a timeout. No panic escapes, requests in flight beside the fault are
//! unaffected, the server keeps serving, and the faulty request's collector is freed.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::rt::time::{sleep, timeout};
use actix_web::{HttpRequest, HttpResponse, web};
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::{Timings, describe, parse, server_timing};
use server_timing_tests::actix_server::{ActixServer, serve_with_workers};
use server_timing_tests::clients::http1_client;
use server_timing_tests::memory::{self, SLOTS, arm, captured, freed, learn_collector_size, new_slot};
use server_timing_tests::wait::wait_until;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Set when a watched request's handler is running, and when its instrumented work is dropped.
static ENTERED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
static DROPPED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
/// Bystander requests whose handler has started, per watched request.
static ARRIVED: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];

const BYSTANDERS: usize = 8;
/// Long enough that every bystander is still in its handler when the fault happens.
const BYSTANDER_WORK: Duration = Duration::from_millis(400);
/// How long a freed collector or a dropped handler may take to be noticed.
const SETTLE: Duration = Duration::from_secs(5);

fn watch_slot(req: &HttpRequest) -> usize {
    req.headers()
        .get("x-watch")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("an x-watch header")
}

/// One worker, so the fault happens on the thread that serves the bystanders too; requests
/// with an `x-watch: <slot>` header get their collector watched.
fn timing() -> ServerTiming {
    ServerTiming::new().when(|req| {
        if let Some(slot) = req
            .headers()
            .get("x-watch")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
        {
            arm(slot);
        }
        true
    })
}

struct MarksDrop(usize);

impl Drop for MarksDrop {
    fn drop(&mut self) {
        DROPPED[self.0].store(true, Ordering::SeqCst);
    }
}

#[server_timing("step")]
async fn step() {
    sleep(BYSTANDER_WORK).await;
}

async fn bystander(path: web::Path<(usize, u32)>) -> HttpResponse {
    let (slot, id) = path.into_inner();
    ARRIVED[slot].fetch_add(1, Ordering::SeqCst);
    step().await;
    describe("req", id.to_string());
    HttpResponse::Ok().body(id.to_string())
}

#[server_timing]
fn explode() {
    panic!("deliberate panic inside an instrumented fn (hardening test)");
}

async fn panics(req: HttpRequest) -> HttpResponse {
    ENTERED[watch_slot(&req)].store(true, Ordering::SeqCst);
    explode();
    HttpResponse::Ok().finish()
}

#[server_timing("slow", desc = "Slow call")]
async fn slow_call(slot: usize, work: Duration) {
    let _mark = MarksDrop(slot);
    ENTERED[slot].store(true, Ordering::SeqCst);
    sleep(work).await;
}

async fn slow(req: HttpRequest, millis: web::Path<u64>) -> HttpResponse {
    slow_call(watch_slot(&req), Duration::from_millis(*millis)).await;
    HttpResponse::Ok().body("finished")
}

async fn cut_off(req: HttpRequest) -> HttpResponse {
    let call = slow_call(watch_slot(&req), Duration::from_secs(30));
    match timeout(Duration::from_millis(50), call).await {
        Ok(()) => HttpResponse::Ok().body("finished"),
        Err(_) => HttpResponse::Ok().body("timed out"),
    }
}

async fn smuggles_collector(
    req: HttpRequest,
    out: web::Data<std::sync::mpsc::SyncSender<Timings>>,
) -> HttpResponse {
    let _ = watch_slot(&req);
    describe("req", "watched");
    let _ = out.send(Timings::current().expect("the middleware's collector"));
    HttpResponse::Ok().finish()
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ok/{slot}/{id}", web::get().to(bystander))
        .route("/panic", web::get().to(panics))
        .route("/slow/{millis}", web::get().to(slow))
        .route("/cut-off", web::get().to(cut_off));
}

fn start() -> ActixServer {
    learn_collector_size();
    serve_with_workers(1, timing(), routes)
}

/// Start `BYSTANDERS` requests, wait until each is inside its handler, and return a future
/// that checks every one of them got its own complete answer.
async fn bystanders(server: &ActixServer, slot: usize) -> impl Future<Output = ()> + use<> {
    let client = http1_client();
    let handles: Vec<_> = (0..BYSTANDERS)
        .map(|i| {
            let request = client.get(server.url(&format!("/ok/{slot}/{i}"))).send();
            actix_web::rt::spawn(async move {
                let response = request.await.expect("a bystander gets its response");
                let status = response.status();
                let fields: Vec<String> = response
                    .headers()
                    .get_all("server-timing")
                    .iter()
                    .map(|v| v.to_str().expect("an ASCII header").to_owned())
                    .collect();
                let body = response.text().await.expect("a bystander's body");
                (i, status, fields, body)
            })
        })
        .collect();
    let all_arrived = wait_until(SETTLE, || ARRIVED[slot].load(Ordering::SeqCst) == BYSTANDERS).await;
    assert!(all_arrived, "the bystanders never all reached their handler");
    async move {
        for handle in handles {
            let (i, status, fields, body) = handle.await.expect("the bystander task");
            assert_eq!(status, 200, "bystander {i}");
            assert_eq!(body, i.to_string());
            assert_eq!(fields.len(), 1, "bystander {i}: {fields:?}");
            let metrics = parse(&fields[0]);
            let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
            assert_eq!(names, ["total", "step", "req"], "bystander {i}: {fields:?}");
            assert!(metrics[1].duration >= BYSTANDER_WORK.as_secs_f64() * 1000.0);
            assert_eq!(
                metrics[2].description,
                i.to_string(),
                "bystander {i} got another's mark"
            );
        }
    }
}

/// After a fault: a fresh request on the same (only) worker is served as usual.
async fn still_serving(server: &ActixServer, slot: usize) {
    let response = http1_client()
        .get(server.url(&format!("/ok/{slot}/99")))
        .send()
        .await
        .expect("the server still answers");
    assert_eq!(response.status(), 200);
    let field = response.headers()["server-timing"].to_str().unwrap().to_owned();
    let metrics = parse(&field);
    assert_eq!(
        metrics.last().map(|m| m.description.as_str()),
        Some("99"),
        "{field}"
    );
}

#[actix_web::test]
async fn the_watch_follows_the_collector() {
    let _shared = memory::shared().await;
    learn_collector_size();
    let (send, receive) = std::sync::mpsc::sync_channel::<Timings>(1);
    let server = serve_with_workers(1, timing(), move |cfg| {
        cfg.app_data(web::Data::new(send.clone()))
            .route("/smuggle", web::get().to(smuggles_collector));
    });
    let slot = new_slot();
    let response = http1_client()
        .get(server.url("/smuggle"))
        .header("x-watch", slot.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let held = receive.recv_timeout(SETTLE).expect("the handler's collector");
    assert!(captured(slot), "the middleware made no collector for the request");
    // The response is out and the middleware is done with it: only `held` keeps it now.
    sleep(Duration::from_millis(100)).await;
    assert!(!freed(slot), "the watch says freed while a handle is still held");
    assert!(
        held.finish().is_none(),
        "the held handle is the request's, already finished"
    );
    drop(held);
    assert!(
        wait_until(SETTLE, || freed(slot)).await,
        "dropping the last handle must free the watched collector"
    );
    server.stop().await;
}

#[actix_web::test]
async fn a_panic_in_an_instrumented_fn_drops_only_its_own_request() {
    let _shared = memory::shared().await;
    let server = start();
    let slot = new_slot();
    let check_bystanders = bystanders(&server, slot).await;
    let outcome = http1_client()
        .get(server.url("/panic"))
        .header("x-watch", slot.to_string())
        .send()
        .await;
    assert!(
        ENTERED[slot].load(Ordering::SeqCst),
        "the panicking handler never ran"
    );
    match &outcome {
        // actix drops the connection; an answer, if a version ever sent one, must be an error.
        Ok(response) => assert_eq!(response.status(), 500, "a panicking handler cannot answer 2xx"),
        Err(error) => assert!(!error.is_timeout(), "{error}"),
    }
    check_bystanders.await;
    assert!(captured(slot));
    assert!(
        wait_until(SETTLE, || freed(slot)).await,
        "the panicked request's collector was never freed"
    );
    still_serving(&server, slot).await;
    server.stop().await;
}

/// actix drops the connection's task, and with it the handler's future, when reading the
/// socket fails, as it does after a reset (a client that closes with unread data, or with
/// `SO_LINGER` 0).
#[actix_web::test]
async fn a_client_that_resets_mid_request_drops_the_handler_and_frees_its_collector() {
    let _shared = memory::shared().await;
    let server = start();
    let slot = new_slot();
    let check_bystanders = bystanders(&server, slot).await;
    let request = format!("GET /slow/30000 HTTP/1.1\r\nhost: test\r\nx-watch: {slot}\r\n\r\n");
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    assert!(wait_until(SETTLE, || ENTERED[slot].load(Ordering::SeqCst)).await);
    assert!(
        captured(slot) && !freed(slot),
        "the collector lives while the handler runs"
    );
    stream.set_zero_linger().unwrap();
    drop(stream);
    assert!(
        wait_until(SETTLE, || DROPPED[slot].load(Ordering::SeqCst)).await,
        "the handler's future was not dropped when its client went away"
    );
    assert!(
        wait_until(SETTLE, || freed(slot)).await,
        "the abandoned request's collector was never freed"
    );
    check_bystanders.await;
    still_serving(&server, slot).await;
    server.stop().await;
}

/// A client that gives up closes its side cleanly (FIN). actix 4 does not cancel the handler
/// then: it runs to the end, and its collector is freed with it.
#[actix_web::test]
async fn a_client_that_gives_up_mid_request_frees_the_collector_when_the_handler_ends() {
    let _shared = memory::shared().await;
    let server = start();
    let slot = new_slot();
    let check_bystanders = bystanders(&server, slot).await;
    let outcome = http1_client()
        .get(server.url("/slow/1000"))
        .header("x-watch", slot.to_string())
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(
        outcome.is_err_and(|e| e.is_timeout()),
        "the client should have given up"
    );
    assert!(ENTERED[slot].load(Ordering::SeqCst));
    assert!(captured(slot));
    assert!(
        wait_until(SETTLE, || freed(slot)).await,
        "the abandoned request's collector was never freed"
    );
    assert!(DROPPED[slot].load(Ordering::SeqCst));
    check_bystanders.await;
    still_serving(&server, slot).await;
    server.stop().await;
}

#[actix_web::test]
async fn a_call_cut_off_by_the_handlers_timeout_is_marked_cancelled() {
    let _shared = memory::shared().await;
    let server = start();
    let slot = new_slot();
    let check_bystanders = bystanders(&server, slot).await;
    let response = http1_client()
        .get(server.url("/cut-off"))
        .header("x-watch", slot.to_string())
        .send()
        .await
        .expect("the handler answers after its own timeout");
    assert_eq!(response.status(), 200);
    let field = response.headers()["server-timing"].to_str().unwrap().to_owned();
    assert_eq!(response.text().await.unwrap(), "timed out");
    assert!(
        DROPPED[slot].load(Ordering::SeqCst),
        "the timeout drops the slow call"
    );
    let metrics = parse(&field);
    let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["total", "slow"], "{field}");
    assert_eq!(metrics[1].description, "Slow call (cancelled)", "{field}");
    assert!(metrics[1].duration >= 50.0, "{field}");
    assert!(
        wait_until(SETTLE, || freed(slot)).await,
        "the request's collector was never freed"
    );
    check_bystanders.await;
    still_serving(&server, slot).await;
    server.stop().await;
}
