//! An axum server for the tests: bound to 127.0.0.1:0 on the current tokio runtime, stopped
//! gracefully and within a bound.

use crate::wait::bounded;

/// An axum app served on 127.0.0.1:0 until [`stop`](Self::stop), which shuts it down
/// gracefully and waits (bounded) for it.
pub struct AxumServer {
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl AxumServer {
    /// Serve `app` until [`stop`](Self::stop).
    pub async fn start(app: axum::Router) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        AxumServer { addr, stop, task }
    }

    /// `path` on this server, as a URL.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Shut down gracefully, waiting (bounded) for the server to end.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        bounded(self.task).await.unwrap();
    }
}
