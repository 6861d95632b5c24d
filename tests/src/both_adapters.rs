//! One handler served behind both adapters (actix-web's `ServerTiming` and the tower layer in
//! front of axum), each on a real server on 127.0.0.1:0, asked over loopback with reqwest, the
//! header read back as a browser reads it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use server_timing_runtime::{Options, ParsedMetric, parse};

use crate::actix_server;
use crate::axum_server::AxumServer;
use crate::clients::client;

/// A handler: its future is boxed so that both frameworks take the same fn.
pub type Handler = fn() -> Pin<Box<dyn Future<Output = String> + Send>>;

/// Every request in these tests finishes within this, or the test fails.
const DEADLINE: Duration = Duration::from_secs(20);

/// What one response said: its body and its `Server-Timing` entries.
#[derive(Debug)]
pub struct Answer {
    pub adapter: &'static str,
    pub body: String,
    pub metrics: Vec<ParsedMetric>,
}

impl Answer {
    /// The entry named `name`; fails the test if there is none.
    pub fn metric(&self, name: &str) -> &ParsedMetric {
        self.metrics
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("{}: no {name} in {:?}", self.adapter, self.metrics))
    }
}

/// GET `/` of `handler` behind each adapter, with `options`: one answer per adapter.
pub fn both(options: Options, handler: Handler) -> [Answer; 2] {
    [over_actix(options.clone(), handler), over_tower(options, handler)]
}

/// The `Server-Timing` field the middleware appended (the only one), parsed.
fn read(values: Vec<String>, adapter: &str) -> Vec<ParsedMetric> {
    assert_eq!(values.len(), 1, "{adapter}: one Server-Timing field: {values:?}");
    parse(&values[0])
}

async fn get(url: String, adapter: &'static str) -> Answer {
    let client = client();
    let response = tokio::time::timeout(DEADLINE, client.get(url).send())
        .await
        .expect("answered within the deadline")
        .expect("a response");
    let values = response
        .headers()
        .get_all("server-timing")
        .iter()
        .map(|v| v.to_str().expect("ASCII").to_owned())
        .collect();
    let body = response.text().await.expect("a body");
    Answer {
        adapter,
        body,
        metrics: read(values, adapter),
    }
}

/// `handler` behind `actix::ServerTiming`, on a 2-worker actix server.
pub fn over_actix(options: Options, handler: Handler) -> Answer {
    use actix_web::web;
    use server_timing_runtime::actix::ServerTiming;

    actix_web::rt::System::new().block_on(async move {
        let server = actix_server::serve(ServerTiming::new().options(options), move |cfg| {
            cfg.route("/", web::get().to(handler));
        });
        let answer = get(server.url("/"), "actix").await;
        server.stop().await;
        answer
    })
}

/// `handler` behind `tower::ServerTimingLayer`, in front of axum on a multi-thread runtime.
pub fn over_tower(options: Options, handler: Handler) -> Answer {
    use axum::Router;
    use axum::routing::get as route;
    use server_timing_runtime::tower::ServerTimingLayer;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let app = Router::new()
            .route("/", route(handler))
            .layer(ServerTimingLayer::new().options(options));
        let server = AxumServer::start(app).await;
        let answer = get(server.url("/"), "tower").await;
        server.stop().await;
        answer
    })
}
