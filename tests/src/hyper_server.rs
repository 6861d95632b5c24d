//! A bare hyper server for the tests: HTTP/1.1 and h2c (prior knowledge) on 127.0.0.1:0, each
//! connection served by hyper-util's `auto` builder, stopped within a bound.

use std::error::Error;
use std::net::SocketAddr;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper::service::Service;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::wait::bounded;

/// A hyper server serving one service until [`stop`](Self::stop). A tower service is served
/// through `hyper_util::service::TowerToHyperService`.
pub struct HyperServer {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    accepting: JoinHandle<()>,
}

impl HyperServer {
    /// Serve `service` (a clone of it per connection) on the current tokio runtime.
    pub async fn start<S, B>(service: S) -> Self
    where
        S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<Box<dyn Error + Send + Sync>>,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn Error + Send + Sync>>,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, mut stopped) = oneshot::channel::<()>();
        let accepting = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let stream = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => stream,
                        Err(_) => break,
                    },
                    _ = &mut stopped => break,
                };
                let service = service.clone();
                connections.spawn(async move {
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            connections.abort_all();
        });
        HyperServer {
            addr,
            stop,
            accepting,
        }
    }

    /// `path` on this server, as a URL.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stop accepting, end the connections still open, and wait (bounded) for all of it.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        bounded(self.accepting).await.expect("the accept loop ended");
    }
}
