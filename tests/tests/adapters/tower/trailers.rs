//! The `Server-Timing` trailer for streamed bodies, end to end with a hyper client over
//! HTTP/1.1 (chunked) and HTTP/2 (h2c prior knowledge) on loopback.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, Version};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{ParsedMetric, parse, record};
use server_timing_tests::axum_server::AxumServer;
use server_timing_tests::hyper_server::HyperServer;
use server_timing_tests::names::names;
use server_timing_tests::wait::bounded;
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tower::ServiceBuilder;

const CHUNKS: u8 = 3;
const CHUNK_DELAY: Duration = Duration::from_millis(10);
const CHUNK_METRIC: Duration = Duration::from_millis(1);

/// A body of `CHUNKS` chunks, each `CHUNK_DELAY` after the last, recording `chunk` as it
/// sends each; then its own trailers, if any.
struct SlowChunks {
    left: u8,
    delay: Pin<Box<Sleep>>,
    trailers: Option<HeaderMap>,
}

impl SlowChunks {
    fn new(trailers: Option<HeaderMap>) -> Self {
        SlowChunks {
            left: CHUNKS,
            delay: Box::pin(tokio::time::sleep(CHUNK_DELAY)),
            trailers,
        }
    }
}

impl Body for SlowChunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(self.trailers.take().map(|trailers| Ok(Frame::trailers(trailers))));
        }
        ready!(self.delay.as_mut().poll(cx));
        self.left -= 1;
        record("chunk", CHUNK_METRIC);
        let next = tokio::time::Instant::now() + CHUNK_DELAY;
        self.delay.as_mut().reset(next);
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"chunk\n")))))
    }
}

type BoxBody = http_body_util::combinators::UnsyncBoxBody<Bytes, Infallible>;

/// `/stream`: a streamed body. `/stream-with-trailers`: the same, ending with its own
/// `x-checksum` trailer. `/fixed`: a body of known length.
async fn respond(request: Request<Incoming>) -> Result<Response<BoxBody>, Infallible> {
    record("handler", Duration::from_millis(2));
    let response = match request.uri().path() {
        "/stream" => Response::new(SlowChunks::new(None).boxed_unsync()),
        "/stream-with-trailers" => {
            let mut own = HeaderMap::new();
            own.insert("x-checksum", HeaderValue::from_static("abc"));
            let mut response = Response::new(SlowChunks::new(Some(own)).boxed_unsync());
            response
                .headers_mut()
                .insert("trailer", HeaderValue::from_static("x-checksum"));
            response
        }
        _ => Response::new(Full::new(Bytes::from_static(b"fixed")).boxed_unsync()),
    };
    Ok(response)
}

/// A bare hyper server (HTTP/1.1 and h2c) with `layer` in front of the test's responses.
async fn serve(layer: ServerTimingLayer) -> HyperServer {
    let service = ServiceBuilder::new().layer(layer).service_fn(respond);
    HyperServer::start(TowerToHyperService::new(service)).await
}

struct Received {
    headers: HeaderMap,
    body: Bytes,
    trailers: Option<HeaderMap>,
}

async fn get(addr: SocketAddr, version: Version, path: &str, te_trailers: bool) -> Received {
    bounded(async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut request = Request::builder()
            .version(version)
            .uri(format!("http://{addr}{path}"))
            .header("host", addr.to_string());
        if te_trailers {
            request = request.header("te", "trailers");
        }
        let request = request.body(Empty::<Bytes>::new()).unwrap();
        let response = if version == Version::HTTP_2 {
            let (mut sender, connection) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                    .await
                    .unwrap();
            tokio::spawn(connection);
            sender.send_request(request).await.unwrap()
        } else {
            let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(connection);
            sender.send_request(request).await.unwrap()
        };
        assert_eq!(response.version(), version);
        let (parts, body) = response.into_parts();
        let collected = body.collect().await.unwrap();
        Received {
            headers: parts.headers,
            trailers: collected.trailers().cloned(),
            body: collected.to_bytes(),
        }
    })
    .await
}

fn server_timing(headers: &HeaderMap) -> Vec<ParsedMetric> {
    let fields: Vec<_> = headers.get_all("server-timing").iter().collect();
    assert_eq!(fields.len(), 1, "one Server-Timing field: {fields:?}");
    parse(fields[0].to_str().unwrap())
}

/// The field names the `Trailer` fields announce, however they were joined on the wire.
fn announced(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all("trailer")
        .iter()
        .flat_map(|value| value.to_str().unwrap().split(','))
        .map(str::trim)
        .collect()
}

const VERSIONS: [Version; 2] = [Version::HTTP_11, Version::HTTP_2];

fn the_body() -> Bytes {
    Bytes::from("chunk\n".repeat(usize::from(CHUNKS)))
}

#[tokio::test]
async fn a_streamed_body_ends_with_a_trailer_timed_to_its_end() {
    let server = serve(ServerTimingLayer::new().trailers(true)).await;
    for version in VERSIONS {
        let received = get(server.addr, version, "/stream", true).await;

        assert_eq!(received.body, the_body(), "{version:?}");
        assert!(!received.headers.contains_key("server-timing"), "{version:?}");
        assert_eq!(announced(&received.headers), ["server-timing"], "{version:?}");
        let trailers = received.trailers.expect("trailers");
        let metrics = server_timing(&trailers);
        assert_eq!(names(&metrics), ["total", "handler", "chunk"], "{version:?}");
        let streamed = CHUNK_DELAY.as_secs_f64() * 1e3 * f64::from(CHUNKS);
        assert!(metrics[0].duration >= streamed, "{version:?}: {metrics:?}");
        assert_eq!(
            metrics[2].duration,
            CHUNK_METRIC.as_secs_f64() * 1e3 * f64::from(CHUNKS)
        );
        assert_eq!(metrics[2].description, format!("{CHUNKS} calls"));
    }
    server.stop().await;
}

#[tokio::test]
async fn the_body_s_own_trailers_are_kept_and_joined() {
    let server = serve(ServerTimingLayer::new().trailers(true)).await;
    for version in VERSIONS {
        let received = get(server.addr, version, "/stream-with-trailers", true).await;

        assert_eq!(
            announced(&received.headers),
            ["x-checksum", "server-timing"],
            "{version:?}"
        );
        let trailers = received.trailers.expect("trailers");
        assert_eq!(trailers["x-checksum"], "abc", "{version:?}");
        assert_eq!(names(server_timing(&trailers)), ["total", "handler", "chunk"]);
    }
    server.stop().await;
}

#[tokio::test]
async fn without_te_trailers_the_metrics_go_in_the_header() {
    let server = serve(ServerTimingLayer::new().trailers(true)).await;
    for version in VERSIONS {
        let received = get(server.addr, version, "/stream", false).await;

        assert_eq!(received.body, the_body());
        assert!(announced(&received.headers).is_empty(), "{version:?}");
        assert_eq!(names(server_timing(&received.headers)), ["total", "handler"]);
        assert!(received.trailers.is_none(), "{version:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_body_of_known_length_gets_the_header() {
    let server = serve(ServerTimingLayer::new().trailers(true)).await;
    for version in VERSIONS {
        let received = get(server.addr, version, "/fixed", true).await;

        assert_eq!(received.body, "fixed");
        assert!(announced(&received.headers).is_empty(), "{version:?}");
        assert_eq!(names(server_timing(&received.headers)), ["total", "handler"]);
        assert!(received.trailers.is_none(), "{version:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn trailers_are_off_by_default() {
    let server = serve(ServerTimingLayer::new()).await;
    for version in VERSIONS {
        let received = get(server.addr, version, "/stream", true).await;

        assert!(announced(&received.headers).is_empty(), "{version:?}");
        assert_eq!(names(server_timing(&received.headers)), ["total", "handler"]);
        assert!(received.trailers.is_none(), "{version:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn timing_allow_origin_goes_in_the_head_when_metrics_go_in_the_trailer() {
    let layer = ServerTimingLayer::new()
        .trailers(true)
        .timing_allow_origin(HeaderValue::from_static("*"));
    let server = serve(layer).await;

    let received = get(server.addr, Version::HTTP_2, "/stream", true).await;
    server.stop().await;

    assert_eq!(received.headers["timing-allow-origin"], "*");
    let trailers = received.trailers.expect("trailers");
    assert!(!trailers.contains_key("timing-allow-origin"));
    assert_eq!(names(server_timing(&trailers)), ["total", "handler", "chunk"]);
}

#[tokio::test]
async fn an_axum_app_streams_with_the_trailer() {
    let app = axum::Router::new()
        .route(
            "/stream",
            axum::routing::get(|| async { axum::body::Body::new(SlowChunks::new(None)) }),
        )
        .layer(ServerTimingLayer::new().trailers(true));
    let server = AxumServer::start(app).await;

    let received = get(server.addr, Version::HTTP_11, "/stream", true).await;
    server.stop().await;

    assert_eq!(received.body, the_body());
    assert_eq!(announced(&received.headers), ["server-timing"]);
    let trailers = received.trailers.expect("trailers");
    assert_eq!(names(server_timing(&trailers)), ["total", "chunk"]);
}

#[tokio::test]
async fn an_http_1_0_client_gets_the_header_as_it_cannot_take_chunks() {
    let server = serve(ServerTimingLayer::new().trailers(true)).await;

    let received = get(server.addr, Version::HTTP_10, "/stream", true).await;
    server.stop().await;

    assert_eq!(received.body, the_body());
    assert!(announced(&received.headers).is_empty());
    assert_eq!(names(server_timing(&received.headers)), ["total", "handler"]);
}
