//! End-to-end: the demo app (`cargo run -p server-timing-examples --bin demo`), started the
//! same way on 127.0.0.1:0, answers its page and API with the breakdown the page draws: real
//! SQLite queries, a real cache, a real signed session, and the inventory service's metrics
//! merged by the `Downstream` middleware.

use actix_web::{HttpResponse, web};
use server_timing_examples::demo::{self, SESSION_COOKIE, auth::User, inventory_service::IN_STOCK};
use server_timing_runtime::{ParsedMetric, describe, parse};
use server_timing_tests::names::{find, names};

fn metrics(response: &reqwest::Response) -> Vec<ParsedMetric> {
    let value = response.headers()["server-timing"].to_str().unwrap();
    parse(value)
}

/// The session cookie a response sets, as a `Cookie` header value.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    let set = response.headers().get("set-cookie")?.to_str().ok()?;
    let pair = set.split(';').next()?;
    pair.starts_with(&format!("{SESSION_COOKIE}="))
        .then(|| pair.to_owned())
}

#[actix_web::test]
async fn the_page_carries_the_whole_breakdown_from_real_work() {
    let _shared = super::shared().await;
    let running = demo::start("127.0.0.1:0").await.unwrap();
    let client = server_timing_tests::clients::client();

    let page = client.get(running.url()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let cookie = session_cookie(&page).expect("a first visit gets a session");
    let first = metrics(&page);
    assert_eq!(
        names(&first),
        [
            "traceparent",
            "total",
            "auth",
            "cache",
            "db",
            "sqlx",
            "db-index",
            "inventory",
            "inventory.total",
            "inventory.search",
            "inventory.price",
            "render",
        ]
    );
    assert_eq!(find(&first, "total").description, "Whole request");
    // A fresh demo has nothing cached: the aggregate ran, and took time.
    assert_eq!(find(&first, "cache").description, "miss");
    let db = find(&first, "db");
    assert_eq!(db.description, "Order totals: full scan");
    assert!(db.duration > 0.0, "{db:?}");
    assert!(find(&first, "db-index").duration > 0.0);
    // sqlx's own `sqlx::query` events, through the tracing layer: its two statements, each
    // inside the timed fn that ran it.
    let sqlx = find(&first, "sqlx");
    assert_eq!(sqlx.description, "2 calls");
    assert!(sqlx.duration > 0.0, "{sqlx:?}");
    assert!(
        sqlx.duration <= db.duration + find(&first, "db-index").duration,
        "{sqlx:?}"
    );
    // `render` is a `tracing` span, not an attribute.
    assert_eq!(find(&first, "render").description, "Render page");
    assert_eq!(find(&first, "inventory").description, "Inventory service");
    assert_eq!(find(&first, "inventory.search").description, "Stock index");
    // The call to the inventory service took at least as long as the service says it did.
    assert!(find(&first, "inventory").duration >= find(&first, "inventory.total").duration);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"performance.getEntriesByType("navigation")"#));
    assert!(html.contains(r#"getEntriesByName(href, "resource")"#));
    assert!(html.contains("Signed in as <strong>ada</strong>"));
    assert!(
        html.contains("100 orders of yours"),
        "customer 1's orders, by the index"
    );
    assert!(
        html.contains(&format!("{IN_STOCK} items in stock")),
        "the server-rendered summary"
    );
    assert!(!html.contains("innerHTML"), "the page writes text only as text");

    // The reload: the session cookie verifies (no new one), the cache hits, `db` is gone.
    let reload = client
        .get(running.url())
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(reload.status(), 200);
    assert_eq!(
        session_cookie(&reload),
        None,
        "the session was verified, not replaced"
    );
    let reloaded = metrics(&reload);
    assert_eq!(find(&reloaded, "cache").description, "hit");
    assert!(find(&reloaded, "cache").duration > 0.0);
    assert!(!names(&reloaded).iter().any(|n| n == "db"), "{reloaded:?}");
    assert!(names(&reloaded).iter().any(|n| n == "db-index"));

    running.stop().await;
}

#[actix_web::test]
async fn a_signed_session_is_the_user_and_a_forged_one_is_not() {
    let _shared = super::shared().await;
    let demo = demo::Demo::open("http://127.0.0.1:9").await.unwrap();
    let grace = User {
        name: "grace".to_owned(),
        customer: 7,
    };
    let signed = demo.sessions().sign(&grace).unwrap();
    let server =
        server_timing_tests::actix_server::serve(demo::server_timing(), move |cfg| demo.configure(cfg));
    let client = server_timing_tests::clients::client();

    let page = client
        .get(server.url("/"))
        .header("cookie", format!("{SESSION_COOKIE}={signed}"))
        .send()
        .await
        .unwrap();
    assert_eq!(session_cookie(&page), None);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Signed in as <strong>grace</strong>")
    );

    // The same user and customer with another user's name: the signature no longer holds.
    let forged = signed.replacen("grace", "admin", 1);
    let page = client
        .get(server.url("/"))
        .header("cookie", format!("{SESSION_COOKIE}={forged}"))
        .send()
        .await
        .unwrap();
    assert!(
        session_cookie(&page).is_some(),
        "a new session replaces the forged one"
    );
    let html = page.text().await.unwrap();
    assert!(!html.contains("admin"));
    assert!(html.contains("Signed in as <strong>ada</strong>"));
    server.stop().await;
}

#[actix_web::test]
async fn each_api_endpoint_answers_with_its_own_breakdown() {
    let _shared = super::shared().await;
    let running = demo::start("127.0.0.1:0").await.unwrap();
    let client = server_timing_tests::clients::client();
    let url = |path: &str| format!("http://{}{path}", running.addr());

    let orders = client.get(url("/api/orders")).send().await.unwrap();
    assert_eq!(orders.status(), 200);
    assert_eq!(
        names(metrics(&orders)),
        ["traceparent", "total", "auth", "cache", "db", "sqlx"]
    );
    let totals = orders.text().await.unwrap();
    assert!(totals.starts_with(r#"{"open":"#), "{totals}");

    // Served from the cache now: the same totals.
    let cached = client.get(url("/api/orders")).send().await.unwrap();
    assert_eq!(names(metrics(&cached)), ["traceparent", "total", "auth", "cache"]);
    assert_eq!(find(&metrics(&cached), "cache").description, "hit");
    assert_eq!(cached.text().await.unwrap(), totals);

    let stock = client.get(url("/api/inventory")).send().await.unwrap();
    assert_eq!(stock.status(), 200);
    assert_eq!(
        names(metrics(&stock)),
        [
            "traceparent",
            "total",
            "auth",
            "inventory",
            "inventory.total",
            "inventory.search",
            "inventory.price"
        ]
    );
    assert_eq!(
        stock.text().await.unwrap(),
        format!(r#"{{"in_stock":{IN_STOCK}}}"#)
    );

    let report = client.get(url("/api/report")).send().await.unwrap();
    assert_eq!(report.status(), 200);
    let report_names = names(metrics(&report)).join(",");
    for name in ["total", "auth", "cache", "inventory", "inventory.total"] {
        assert!(
            report_names.split(',').any(|n| n == name),
            "{name} in {report_names}"
        );
    }

    // The payment provider is down: the refused call is in the breakdown, as such.
    let payments = client.get(url("/api/payments")).send().await.unwrap();
    assert_eq!(payments.status(), 503);
    let metrics = metrics(&payments);
    assert_eq!(names(&metrics), ["traceparent", "total", "auth", "payments"]);
    assert_eq!(
        find(&metrics, "payments").description,
        "Payment provider (connect error)"
    );

    running.stop().await;
}

#[actix_web::test]
async fn an_unreachable_inventory_is_a_502_with_the_breakdown() {
    let _shared = super::shared().await;
    // An inventory "service" that hangs up on its one connection without answering.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || listener.incoming().take(1).for_each(drop));
    let demo = demo::Demo::open(&format!("http://{addr}")).await.unwrap();
    let server =
        server_timing_tests::actix_server::serve(demo::server_timing(), move |cfg| demo.configure(cfg));

    let response = server_timing_tests::clients::client()
        .get(server.url("/api/inventory"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let metrics = metrics(&response);
    assert_eq!(names(&metrics), ["traceparent", "total", "auth", "inventory"]);
    assert_eq!(
        find(&metrics, "inventory").description,
        "Inventory service (error)"
    );
    server.stop().await;
}

#[actix_web::test]
async fn routes_added_by_a_test_are_inside_the_middleware() {
    let _shared = super::shared().await;
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
    .await
    .unwrap();
    let response = server_timing_tests::clients::client()
        .get(format!("http://{}/hostile", running.addr()))
        .send()
        .await
        .unwrap();
    let metrics = metrics(&response);
    assert_eq!(names(&metrics), ["traceparent", "total", "quote"]);
    assert_eq!(find(&metrics, "quote").description, HOSTILE);
    running.stop().await;
}
