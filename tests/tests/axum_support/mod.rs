//! An axum server on loopback for the tests, as `actix_support` serves actix: bound to
//! 127.0.0.1:0 on the current tokio runtime, stopped gracefully and within a bound.

// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

/// An axum app served on 127.0.0.1:0 until [`stop`](Self::stop), which shuts it down
/// gracefully and waits (bounded) for it.
pub struct AxumServer {
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl AxumServer {
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

    pub async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(std::time::Duration::from_secs(10), self.task)
            .await
            .unwrap()
            .unwrap();
    }
}
