//! The servers the browser talks to, each on 127.0.0.1:0: the demo app as the demo builds it
//! (its routes and its middleware) plus test routes, and a bare app for raw header values.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header::HeaderValue;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use server_timing_examples::demo::{self, Demo, inventory_service};

use super::exchanges::{Exchanges, log_exchange, snapshot_recorded};
use super::probe::Probe;

/// A running server; stop it with [`Running::stop`].
pub struct Running {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl Running {
    /// Spawn `server`, bound to `addr`, on the current actix runtime.
    pub fn spawn(addr: SocketAddr, server: Server) -> Running {
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Running { addr, handle }
    }

    pub fn url(&self, target: &str) -> String {
        format!("http://{}{target}", self.addr)
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// The demo app and its inventory service, with test routes added, every exchange logged.
pub struct DemoUnderTest {
    pub app: Running,
    pub exchanges: Exchanges,
    inventory: Running,
}

impl DemoUnderTest {
    /// Start the inventory service, then the demo app: [`Demo::configure`] and `routes` inside
    /// [`demo::server_timing`], with [`snapshot_recorded`] inside the middleware and
    /// [`log_exchange`] outside it.
    pub async fn start(routes: impl Fn(&mut web::ServiceConfig) + Send + Clone + 'static) -> Self {
        let store = inventory_service::Store::open()
            .await
            .expect("seed the inventory");
        let inventory = HttpServer::new(move || inventory_service::app(store.clone()))
            .workers(1)
            .disable_signals()
            .shutdown_timeout(1)
            .bind(("127.0.0.1", 0))
            .expect("bind 127.0.0.1:0");
        let inventory = Running::spawn(inventory.addrs()[0], inventory.run());
        let demo = Demo::open(&inventory.url(""))
            .await
            .expect("seed the demo's database");
        let exchanges = Exchanges::default();
        let logged = exchanges.clone();
        let app = HttpServer::new(move || {
            let demo = demo.clone();
            App::new()
                .app_data(web::Data::new(logged.clone()))
                .wrap(from_fn(snapshot_recorded))
                .wrap(demo::server_timing())
                .wrap(from_fn(log_exchange))
                .configure(move |cfg| demo.configure(cfg))
                .configure(routes.clone())
        })
        .workers(2)
        .disable_signals()
        .shutdown_timeout(1)
        .bind(("127.0.0.1", 0))
        .expect("bind 127.0.0.1:0");
        let app = Running::spawn(app.addrs()[0], app.run());
        DemoUnderTest {
            app,
            exchanges,
            inventory,
        }
    }

    pub async fn stop(self) {
        self.app.stop().await;
        self.inventory.stop().await;
    }
}

/// Starts a bare app (no middleware) whose `/responses/{i}` carry the fields `responses[i]`
/// as their `Server-Timing` fields, in order, and whose `/probe` page fetches them all.
pub fn serve_header_fields(responses: Arc<Vec<Vec<Vec<u8>>>>) -> Running {
    let count = responses.len();
    let server = HttpServer::new(move || {
        let responses = responses.clone();
        App::new()
            .route(
                "/probe",
                web::get().to(move || async move {
                    let fetches: Vec<String> = (0..count).map(response_path).collect();
                    html_page(
                        Probe {
                            frames: &[],
                            fetches: &fetches,
                        }
                        .html(),
                    )
                }),
            )
            .route(
                "/responses/{i}",
                web::get().to(move |i: web::Path<usize>| {
                    let fields: Option<Result<Vec<HeaderValue>, _>> = responses
                        .get(*i)
                        .map(|fields| fields.iter().map(|f| HeaderValue::from_bytes(f)).collect());
                    async move {
                        let Some(Ok(fields)) = fields else {
                            return HttpResponse::NotFound().finish();
                        };
                        let mut response = HttpResponse::Ok();
                        response.insert_header(("cache-control", "no-store"));
                        for field in fields {
                            response.append_header(("server-timing", field));
                        }
                        response.finish()
                    }
                }),
            )
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(1)
    .bind(("127.0.0.1", 0))
    .expect("bind 127.0.0.1:0");
    Running::spawn(server.addrs()[0], server.run())
}

/// Where [`serve_header_fields`] serves response `i`.
pub fn response_path(i: usize) -> String {
    format!("/responses/{i}")
}

/// An HTML response that the browser must not cache.
pub fn html_page(html: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        .body(html)
}
