//! Starting the demo: the inventory service on a free loopback port, then the demo app.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use actix_web::dev::ServerHandle;
use actix_web::rt::task::JoinHandle;
use actix_web::{HttpServer, web};

use super::inventory_service;
use super::routes::Demo;

/// The demo's two servers, running. Stop them with [`stop`](Self::stop).
///
/// ```no_run
/// # actix_web::rt::System::new().block_on(async {
/// let running = server_timing_examples::demo::start("127.0.0.1:0").await.unwrap();
/// assert_ne!(running.addr().port(), 0);
/// running.stop().await;
/// # });
/// ```
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    inventory_addr: SocketAddr,
    server: ServerHandle,
    inventory: ServerHandle,
    served: JoinHandle<io::Result<()>>,
}

impl Running {
    /// Where the demo app listens.
    ///
    /// ```no_run
    /// # actix_web::rt::System::new().block_on(async {
    /// let running = server_timing_examples::demo::start("127.0.0.1:0").await.unwrap();
    /// assert!(running.addr().ip().is_loopback());
    /// # running.stop().await;
    /// # });
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the inventory ("downstream") service listens.
    ///
    /// ```no_run
    /// # actix_web::rt::System::new().block_on(async {
    /// let running = server_timing_examples::demo::start("127.0.0.1:0").await.unwrap();
    /// assert_ne!(running.inventory_addr(), running.addr());
    /// # running.stop().await;
    /// # });
    /// ```
    pub fn inventory_addr(&self) -> SocketAddr {
        self.inventory_addr
    }

    /// The demo page's URL, e.g. `http://127.0.0.1:8080/`.
    ///
    /// ```no_run
    /// # actix_web::rt::System::new().block_on(async {
    /// let running = server_timing_examples::demo::start("127.0.0.1:0").await.unwrap();
    /// assert!(running.url().starts_with("http://127.0.0.1:"));
    /// # running.stop().await;
    /// # });
    /// ```
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Run until the demo app stops (it is stopped through [`stop`](Self::stop), or the
    /// process ends), then stop the inventory service.
    ///
    /// ```no_run
    /// # actix_web::rt::System::new().block_on(async {
    /// server_timing_examples::demo::start("127.0.0.1:8080").await?.wait().await
    /// # }).unwrap();
    /// ```
    pub async fn wait(self) -> io::Result<()> {
        let served = self.served.await.unwrap_or_else(|e| Err(io::Error::other(e)));
        self.inventory.stop(true).await;
        served
    }

    /// Stop both servers.
    ///
    /// ```no_run
    /// # actix_web::rt::System::new().block_on(async {
    /// server_timing_examples::demo::start("127.0.0.1:0").await.unwrap().stop().await;
    /// # });
    /// ```
    pub async fn stop(self) {
        self.server.stop(true).await;
        self.inventory.stop(true).await;
    }
}

/// Seed the demo's databases, then start the demo on `addr` (port 0 for any free port).
/// Call it inside an actix-web runtime
/// (`#[actix_web::main]`, `#[actix_web::test]`, `actix_web::rt::System`).
///
/// The app runs two workers; its inventory service one, on another loopback port. Neither
/// installs signal handlers: Ctrl-C ends the process.
///
/// ```no_run
/// # actix_web::rt::System::new().block_on(async {
/// let running = server_timing_examples::demo::start("127.0.0.1:0").await.unwrap();
/// # running.stop().await;
/// # });
/// ```
pub async fn start(addr: impl ToSocketAddrs) -> io::Result<Running> {
    start_with(addr, |_| {}).await
}

/// [`start`], with `routes` added to the demo app (inside its `ServerTiming` middleware),
/// e.g. for a test that needs an endpoint the demo does not have.
///
/// ```no_run
/// use actix_web::{web, HttpResponse};
/// # actix_web::rt::System::new().block_on(async {
/// let running = server_timing_examples::demo::start_with("127.0.0.1:0", |cfg| {
///     cfg.route("/extra", web::get().to(HttpResponse::Ok));
/// })
/// .await
/// .unwrap();
/// # running.stop().await;
/// # });
/// ```
pub async fn start_with(
    addr: impl ToSocketAddrs,
    routes: impl Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
) -> io::Result<Running> {
    let store = inventory_service::Store::open().await.map_err(io::Error::other)?;
    let inventory = HttpServer::new(move || inventory_service::app(store.clone()))
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .bind(("127.0.0.1", 0))?;
    let inventory_addr = first_addr(&inventory.addrs())?;
    // Both databases are seeded before either server runs, so the first request is answered
    // at once; a failure here drops the bound inventory server unstarted.
    let demo = Demo::open(&format!("http://{inventory_addr}"))
        .await
        .map_err(io::Error::other)?;
    let inventory = inventory.run();
    let inventory_handle = inventory.handle();
    actix_web::rt::spawn(inventory);

    let server = HttpServer::new(move || {
        let routes = routes.clone();
        demo.app().configure(routes)
    })
    .workers(2)
    .disable_signals()
    .shutdown_timeout(1)
    .bind(addr);
    let server = match server {
        Ok(server) => server,
        Err(e) => {
            // Not started: nothing may be left running.
            actix_web::rt::spawn(async move { inventory_handle.stop(false).await });
            return Err(e);
        }
    };
    let addr = first_addr(&server.addrs())?;
    let server = server.run();
    let handle = server.handle();
    Ok(Running {
        addr,
        inventory_addr,
        server: handle,
        inventory: inventory_handle,
        served: actix_web::rt::spawn(server),
    })
}

fn first_addr(addrs: &[SocketAddr]) -> io::Result<SocketAddr> {
    addrs
        .first()
        .copied()
        .ok_or_else(|| io::Error::new(io::ErrorKind::AddrNotAvailable, "bound to no address"))
}
