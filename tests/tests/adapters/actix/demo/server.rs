//! The demo's servers as `demo::start` runs them: the app on the address asked for, the
//! inventory service on another loopback port, routes a caller adds inside the middleware, and
//! `stop` ending both.

use std::io;
use std::net::TcpListener;

use server_timing_examples::demo::{self, inventory_service::IN_STOCK};
use server_timing_tests::clients::client;
use server_timing_tests::wait::bounded;
use tokio::net::TcpStream;

#[actix_web::test]
async fn start_serves_the_app_and_the_inventory_on_loopback_ports_of_their_own() {
    let _shared = super::shared().await;
    let running = demo::start("127.0.0.1:0").await.unwrap();
    let (addr, inventory) = (running.addr(), running.inventory_addr());
    assert_ne!(addr.port(), 0, "port 0 asks for a free port");
    assert!(addr.ip().is_loopback(), "{addr}");
    assert!(inventory.ip().is_loopback(), "{inventory}");
    assert_ne!(inventory, addr);
    assert_eq!(running.url(), format!("http://{addr}/"));
    assert!(
        running.url().starts_with("http://127.0.0.1:"),
        "{}",
        running.url()
    );

    let client = client();
    let page = bounded(client.get(running.url()).send()).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().contains_key("server-timing"));
    let stock = bounded(client.get(format!("http://{inventory}/stock")).send())
        .await
        .unwrap();
    assert_eq!(stock.status(), 200);
    assert_eq!(stock.text().await.unwrap(), IN_STOCK.to_string());

    bounded(running.stop()).await;
    for stopped in [addr, inventory] {
        let connected = bounded(TcpStream::connect(stopped)).await;
        assert!(connected.is_err(), "{stopped} still accepts after stop");
    }
}

#[actix_web::test]
async fn start_on_an_address_in_use_is_an_error() {
    let _shared = super::shared().await;
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let error = demo::start(addr).await.expect_err("the address is taken");
    assert_eq!(error.kind(), io::ErrorKind::AddrInUse, "{error}");
}
