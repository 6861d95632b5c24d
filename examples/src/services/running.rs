//! A service running on threads of its own, under its own `tracing` subscriber, on
//! 127.0.0.1:0, until it is stopped: two services in one process, as this example runs them,
//! each as if it were a process of its own.

use std::future::IntoFuture as _;
use std::io;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use tracing::Dispatch;

/// How long a stopping server lets open connections finish before it closes them.
const GRACE: Duration = Duration::from_secs(1);

/// A running service: its address, and [`stop`](Self::stop). Dropped, it stops too (without
/// waiting for it).
pub struct Running {
    addr: SocketAddr,
    stop: Option<Box<dyn FnOnce() + Send>>,
    done: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// Where the service listens.
    ///
    /// ```no_run
    /// # let running: server_timing_examples::services::running::Running = unimplemented!();
    /// assert!(running.addr().ip().is_loopback());
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `path` on this service, as a URL.
    ///
    /// ```no_run
    /// # let running: server_timing_examples::services::running::Running = unimplemented!();
    /// println!("{}", running.url("/stock/widget"));
    /// ```
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stop accepting, let open connections finish (closing them after a second), and wait for
    /// the service's threads to end: an error (`TimedOut`) unless they did within `within`.
    ///
    /// ```no_run
    /// # let running: server_timing_examples::services::running::Running = unimplemented!();
    /// running.stop(std::time::Duration::from_secs(5)).unwrap();
    /// ```
    pub fn stop(mut self, within: Duration) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            stop();
        }
        match self.done.recv_timeout(within) {
            Err(mpsc::RecvTimeoutError::Timeout) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the service on {} did not stop within {within:?}", self.addr),
            )),
            // The thread ended (its sender dropped) or said so.
            _ => {
                if let Some(thread) = self.thread.take() {
                    thread
                        .join()
                        .map_err(|_| io::Error::other("the service's thread panicked"))?;
                }
                Ok(())
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Serve `app` on 127.0.0.1:0 on a thread of its own (a single-threaded tokio runtime), with
/// `subscriber` as that thread's default: every span and event of the service, in each of its
/// tasks, goes to it.
///
/// ```no_run
/// use opentelemetry_sdk::trace::InMemorySpanExporter;
/// use server_timing_examples::services::{inventory, running, telemetry, Parent};
///
/// let provider = telemetry::provider("inventory", InMemorySpanExporter::default());
/// let subscriber = telemetry::subscriber(&provider, "inventory");
/// let service = running::serve_axum(inventory::router(Parent::Extracted), subscriber).unwrap();
/// println!("inventory on {}", service.addr());
/// service.stop(std::time::Duration::from_secs(5)).unwrap();
/// ```
pub fn serve_axum(app: axum::Router, subscriber: impl Into<Dispatch>) -> io::Result<Running> {
    let dispatch = subscriber.into();
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (done_tx, done) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(format!("axum {addr}"))
        .spawn(move || {
            tracing::dispatcher::with_default(&dispatch, || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let mut signal = stopped.clone();
                    let server = axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            // Stopped, or the `Running` dropped: either way, shut down.
                            let _ = signal.wait_for(|stop| *stop).await;
                        })
                        .into_future();
                    let mut stopped = stopped;
                    let closed = async move {
                        let _ = stopped.wait_for(|stop| *stop).await;
                        tokio::time::sleep(GRACE).await;
                    };
                    tokio::select! {
                        _ = server => {}
                        () = closed => {}
                    }
                });
            });
            drop(done_tx);
        })?;
    Ok(Running {
        addr,
        stop: Some(Box::new(move || {
            let _ = stop.send(true);
        })),
        done,
        thread: Some(thread),
    })
}

/// Start an actix-web server on a thread of its own (its own actix system, which starts the
/// server's workers): `server` gets a listener bound to 127.0.0.1:0 and returns the running
/// server, as `HttpServer::new(...).listen(listener)?.run()` does. Its `shutdown_timeout`
/// bounds how long a stop lets open connections finish.
///
/// The `tracing` subscriber of an actix-web service does not follow from the thread it is
/// started on (its workers are threads of their own): see
/// [`actix_front::server`](super::actix_front::server) for how this example gives the service
/// its own.
///
/// ```no_run
/// use actix_web::{web, App, HttpServer};
/// use server_timing_examples::services::running;
///
/// let service = running::serve_actix(|listener| {
///     Ok(HttpServer::new(|| App::new().route("/", web::get().to(|| async { "ok" })))
///         .workers(1)
///         .disable_signals()
///         .shutdown_timeout(1)
///         .listen(listener)?
///         .run())
/// })
/// .unwrap();
/// service.stop(std::time::Duration::from_secs(5)).unwrap();
/// ```
pub fn serve_actix(
    server: impl FnOnce(std::net::TcpListener) -> io::Result<actix_web::dev::Server> + Send + 'static,
) -> io::Result<Running> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    let addr = listener.local_addr()?;
    let (started_tx, started) = mpsc::channel();
    let (done_tx, done) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(format!("actix {addr}"))
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match server(listener) {
                    Ok(server) => {
                        let _ = started_tx.send(Ok(server.handle()));
                        let _ = server.await;
                    }
                    Err(error) => {
                        let _ = started_tx.send(Err(error));
                    }
                }
            });
            drop(done_tx);
        })?;
    let handle = started
        .recv_timeout(Duration::from_secs(10))
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the actix server did not start"))??;
    Ok(Running {
        addr,
        stop: Some(Box::new(move || {
            // Sends the command now; the future only waits for the server to end, which
            // `Running::stop` does with its own bound.
            drop(handle.stop(true));
        })),
        done,
        thread: Some(thread),
    })
}
