//! A real actix-web server for the tests: `App::new().wrap(timing)` with the test's routes, on
//! 127.0.0.1:0, with two workers unless told otherwise, stopped within a bound.

use std::net::SocketAddr;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use server_timing_runtime::actix::ServerTiming;

/// A running server; stop it with [`ActixServer::stop`] at the end of the test.
pub struct ActixServer {
    pub addr: SocketAddr,
    handle: ServerHandle,
}

impl ActixServer {
    /// `path` on this server, as a URL.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stop accepting and end the workers: connections still open get one second
    /// (`shutdown_timeout`) to finish.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// Start `App::new().wrap(timing).configure(routes)` with two workers, as a real deployment
/// would run it: requests may land on either worker thread. Call it inside an actix runtime
/// (`#[actix_web::test]`, `actix_web::rt::System`).
pub fn serve(
    timing: ServerTiming,
    routes: impl Fn(&mut web::ServiceConfig) + Send + Sync + Clone + 'static,
) -> ActixServer {
    serve_with_workers(2, timing, routes)
}

/// [`serve`] with `workers` worker threads.
pub fn serve_with_workers(
    workers: usize,
    timing: ServerTiming,
    routes: impl Fn(&mut web::ServiceConfig) + Send + Sync + Clone + 'static,
) -> ActixServer {
    let server = HttpServer::new(move || {
        let routes = routes.clone();
        App::new().wrap(timing.clone()).configure(move |cfg| routes(cfg))
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(1)
    .bind(("127.0.0.1", 0))
    .expect("bind 127.0.0.1:0");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    ActixServer { addr, handle }
}
