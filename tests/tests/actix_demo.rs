//! End-to-end: the demo app (`cargo run -p server-timing-examples --bin demo`), started the
//! same way on 127.0.0.1:0, answers its page and API with the breakdown the page draws.

mod actix_support;
mod metrics_support;

use actix_web::{web, HttpResponse};
use metrics_support::{find, names};
use server_timing_examples::demo;
use server_timing_runtime::{describe, parse, ParsedMetric};

fn metrics(response: &reqwest::Response) -> Vec<ParsedMetric> {
    let value = response.headers()["server-timing"].to_str().unwrap();
    parse(value)
}

#[actix_web::test]
async fn the_page_carries_the_whole_breakdown_and_reads_it_back() {
    let running = demo::start("127.0.0.1:0").unwrap();
    let client = actix_support::client();

    let page = client.get(running.url()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let metrics = metrics(&page);
    assert_eq!(
        names(&metrics),
        [
            "total",
            "auth",
            "cache",
            "db",
            "downstream",
            "downstream.total",
            "downstream.search",
            "downstream.price",
            "render",
        ]
    );
    assert_eq!(find(&metrics, "total").description, "Whole request");
    // A fresh demo has nothing cached.
    assert_eq!(find(&metrics, "cache").description, "miss");
    assert_eq!(find(&metrics, "db").description, "Query orders");
    assert_eq!(find(&metrics, "downstream.search").description, "Stock index");
    // The call to the inventory service took at least as long as the service says it did.
    assert!(find(&metrics, "downstream").duration >= find(&metrics, "downstream.total").duration);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"performance.getEntriesByType("navigation")"#));
    assert!(html.contains(r#"getEntriesByName(href, "resource")"#));
    assert!(html.contains("42 items in stock"), "the server-rendered summary");
    assert!(!html.contains("innerHTML"), "the page writes text only as text");

    running.stop().await;
}

#[actix_web::test]
async fn each_api_endpoint_answers_with_its_own_breakdown() {
    let running = demo::start("127.0.0.1:0").unwrap();
    let client = actix_support::client();
    let url = |path: &str| format!("http://{}{path}", running.addr());

    let orders = client.get(url("/api/orders")).send().await.unwrap();
    assert_eq!(orders.status(), 200);
    assert_eq!(names(&metrics(&orders)), ["total", "auth", "cache", "db"]);
    assert_eq!(orders.text().await.unwrap(), r#"{"open":12,"shipped":31}"#);

    let stock = client.get(url("/api/inventory")).send().await.unwrap();
    assert_eq!(stock.status(), 200);
    assert_eq!(
        names(&metrics(&stock)),
        [
            "total",
            "auth",
            "downstream",
            "downstream.total",
            "downstream.search",
            "downstream.price"
        ]
    );
    assert_eq!(stock.text().await.unwrap(), r#"{"in_stock":42}"#);

    let report = client.get(url("/api/report")).send().await.unwrap();
    assert_eq!(report.status(), 200);
    let report_names = names(&metrics(&report)).join(",");
    for name in ["total", "auth", "cache", "downstream", "downstream.total"] {
        assert!(
            report_names.split(',').any(|n| n == name),
            "{name} in {report_names}"
        );
    }

    let payments = client.get(url("/api/payments")).send().await.unwrap();
    assert_eq!(payments.status(), 503);
    assert_eq!(names(&metrics(&payments)), ["total", "auth", "payments"]);

    running.stop().await;
}

#[actix_web::test]
async fn an_unreachable_inventory_is_a_502_with_the_breakdown() {
    // An inventory "service" that hangs up on its one connection without answering.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || listener.incoming().take(1).for_each(drop));
    let demo = demo::Demo::new(&format!("http://{addr}"));
    let server = actix_support::serve(demo::server_timing(), move |cfg| demo.configure(cfg));

    let response = actix_support::client()
        .get(server.url("/api/inventory"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(names(&metrics(&response)), ["total", "auth", "downstream"]);
    server.stop().await;
}

#[actix_web::test]
async fn routes_added_by_a_test_are_inside_the_middleware() {
    const HOSTILE: &str = r#"say "hi", then \ and ; and = "#;
    let running = demo::start_with("127.0.0.1:0", |cfg| {
        cfg.route(
            "/hostile",
            web::get().to(|| async {
                describe("quote", HOSTILE);
                HttpResponse::Ok().finish()
            }),
        );
    })
    .unwrap();
    let response = actix_support::client()
        .get(format!("http://{}/hostile", running.addr()))
        .send()
        .await
        .unwrap();
    let metrics = metrics(&response);
    assert_eq!(names(&metrics), ["total", "quote"]);
    assert_eq!(find(&metrics, "quote").description, HOSTILE);
    running.stop().await;
}
