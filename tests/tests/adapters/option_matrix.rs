//! Every adapter over the whole matrix of its per-request options (`when`, `send_when`, the
//! hook, trailers, trace context) and of the response (cacheable or not): the header, the
//! trailer, the cache rule and the hook each say what the options ask for, in every
//! combination, through the adapter's one poll path.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, TE, TRAILER};
use http::{HeaderMap, HeaderValue, Request, Response, Version};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use server_timing_runtime::http::timed_response;
use server_timing_runtime::tower::ServerTimingLayer;
use server_timing_runtime::{Completed, Options, Timings, parse, record};
use tower::{Layer, Service, ServiceExt};

/// What one request's options are, in the matrix.
#[derive(Clone, Copy, Debug)]
struct Case {
    timed: bool,
    send: bool,
    hook: bool,
    trailers: bool,
    trace: bool,
    cacheable: bool,
}

impl Case {
    /// Every combination, trailers included where the adapter has them.
    fn all(with_trailers: bool) -> Vec<Case> {
        let mut cases = Vec::new();
        for bits in 0..64u8 {
            let bit = |n: u8| bits & (1 << n) != 0;
            let case = Case {
                timed: bit(0),
                send: bit(1),
                hook: bit(2),
                trailers: bit(3),
                trace: bit(4),
                cacheable: bit(5),
            };
            if with_trailers || !case.trailers {
                cases.push(case);
            }
        }
        cases
    }

    /// The metrics go out: the request is timed and `send_when` holds.
    fn sent(self) -> bool {
        self.timed && self.send
    }

    /// They go out in the trailer (the client accepts trailers and the body streams).
    fn in_trailer(self) -> bool {
        self.sent() && self.trailers
    }

    /// The trace context is written where the metrics go.
    fn traced(self) -> bool {
        self.trace && !self.cacheable
    }

    fn options(self) -> Options {
        Options::new().trace_context(self.trace)
    }

    /// The `Cache-Control` the handler sets.
    fn cache_control(self) -> &'static str {
        if self.cacheable {
            "public, max-age=60"
        } else {
            "no-store"
        }
    }
}

/// What the hook was handed, once per call.
#[derive(Debug)]
struct Handed {
    sent: bool,
    traced: bool,
    names: Vec<String>,
}

/// A hook that keeps what it is handed.
fn keeping_hook() -> (
    Arc<Mutex<Vec<Handed>>>,
    impl Fn(&Completed<'_>) + Send + Sync + 'static,
) {
    let handed = Arc::new(Mutex::new(Vec::new()));
    let keep = handed.clone();
    let hook = move |done: &Completed<'_>| {
        keep.lock().expect("hook").push(Handed {
            sent: done.sent(),
            traced: done.trace_parent().is_some(),
            names: done.metrics().iter().map(|m| m.name().to_owned()).collect(),
        });
    };
    (handed, hook)
}

/// The metric names a `Server-Timing` value holds.
fn names(value: &HeaderValue) -> Vec<String> {
    parse(value.to_str().expect("ASCII"))
        .into_iter()
        .map(|m| m.name)
        .collect()
}

/// Checks the written value of `case` (header or trailer): trace entries as the cache rule
/// says, and the handler's metric, and `also` (what the body recorded) where it is measured.
fn assert_written(case: Case, value: &HeaderValue, also: &[&str]) {
    let names = names(value);
    assert_eq!(
        names.iter().any(|n| n == "traceparent"),
        case.traced(),
        "{case:?}: {names:?}"
    );
    assert!(names.iter().any(|n| n == "handler"), "{case:?}: {names:?}");
    for name in also {
        assert!(names.iter().any(|n| n == name), "{case:?}: {name} in {names:?}");
    }
}

/// Checks what the hook got for `case`, given `body` (what the body recorded).
fn assert_hook(case: Case, handed: &Mutex<Vec<Handed>>, body: &[&str]) {
    let handed = handed.lock().expect("hook");
    if !(case.hook && case.timed) {
        assert!(handed.is_empty(), "{case:?}: {handed:?}");
        return;
    }
    assert_eq!(handed.len(), 1, "{case:?}: the hook runs once");
    let done = &handed[0];
    assert_eq!(done.sent, case.sent(), "{case:?}: {done:?}");
    assert_eq!(done.traced, case.trace, "{case:?}: {done:?}");
    assert!(done.names.iter().any(|n| n == "handler"), "{case:?}: {done:?}");
    for name in body {
        assert!(
            done.names.iter().any(|n| n == name),
            "{case:?}: {name} in {done:?}"
        );
    }
}

type StreamedBody = StreamBody<futures::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>>;

/// A body of unknown length whose frames record `chunk` as they are polled.
fn recording_body() -> http_body_util::combinators::UnsyncBoxBody<Bytes, Infallible> {
    let frames: StreamedBody = StreamBody::new(futures::stream::iter(vec![
        Ok(Frame::data(Bytes::from_static(b"a"))),
        Ok(Frame::data(Bytes::from_static(b"b"))),
    ]));
    frames
        .map_frame(|frame| {
            record("chunk", Duration::from_micros(10));
            frame
        })
        .boxed_unsync()
}

#[tokio::test]
async fn the_tower_layer_over_every_combination() {
    for case in Case::all(true) {
        let (handed, hook) = keeping_hook();
        let mut layer = ServerTimingLayer::new()
            .options(case.options())
            .trailers(case.trailers)
            .when(move |_| case.timed)
            .send_when(move |_| case.send);
        if case.hook {
            layer = layer.on_complete(hook);
        }
        let handler = tower::service_fn(move |_: Request<()>| async move {
            record("handler", Duration::from_micros(10));
            let mut response = Response::new(recording_body());
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static(case.cache_control()));
            Ok::<_, Infallible>(response)
        });
        let mut service = layer.layer(handler);
        let mut request = Request::new(());
        *request.version_mut() = Version::HTTP_11;
        request
            .headers_mut()
            .insert(TE, HeaderValue::from_static("trailers"));
        let response = service
            .ready()
            .await
            .expect("ready")
            .call(request)
            .await
            .expect("answered");
        let (head, body) = response.into_parts();
        let collected = body.collect().await.expect("the body");
        let trailers = collected.trailers().cloned().unwrap_or_default();
        let header = head.headers.get("server-timing");
        let trailer = trailers.get("server-timing");
        assert_eq!(header.is_some(), case.sent() && !case.in_trailer(), "{case:?}");
        assert_eq!(trailer.is_some(), case.in_trailer(), "{case:?}");
        assert_eq!(head.headers.get(TRAILER).is_some(), case.in_trailer(), "{case:?}");
        if let Some(value) = header {
            assert_written(case, value, &[]);
        }
        if let Some(value) = trailer {
            assert_written(case, value, &["chunk"]);
        }
        // With a hook or a trailer, the body's polls record into the request.
        assert_hook(case, &handed, &["chunk"]);
    }
}

#[actix_web::test]
async fn the_actix_middleware_over_every_combination() {
    use actix_web::{App, HttpResponse, test, web};
    use server_timing_runtime::actix::ServerTiming;

    for case in Case::all(false) {
        let (handed, hook) = keeping_hook();
        let mut timing = ServerTiming::new()
            .options(case.options())
            .when(move |_| case.timed)
            .send_when(move |_| case.send);
        if case.hook {
            timing = timing.on_complete(hook);
        }
        let app = test::init_service(App::new().wrap(timing).route(
            "/",
            web::get().to(move || async move {
                record("handler", Duration::from_micros(10));
                HttpResponse::Ok()
                    .insert_header(("cache-control", case.cache_control()))
                    .body("hi")
            }),
        ))
        .await;
        let response = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
        let headers = convert(response.headers());
        let _ = test::read_body(response).await;
        let header = headers.get("server-timing");
        assert_eq!(header.is_some(), case.sent(), "{case:?}");
        if let Some(value) = header {
            assert_written(case, value, &[]);
        }
        assert_hook(case, &handed, &[]);
    }
}

/// actix-web's header map (`http` 0.2) as the crate's `http` one.
fn convert(headers: &actix_web::http::header::HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        let name = http::HeaderName::from_bytes(name.as_str().as_bytes()).expect("a name");
        out.append(name, HeaderValue::from_bytes(value.as_bytes()).expect("a value"));
    }
    out
}

#[test]
fn the_http_adapter_over_every_combination() {
    for case in Case::all(false).into_iter().filter(|case| case.timed) {
        let (handed, hook) = keeping_hook();
        let timings = Timings::with_options(case.options());
        let (request, ()) = Request::get("/").body(()).expect("a request").into_parts();
        let mut response = timed_response(timings, async move {
            record("handler", Duration::from_micros(10));
            let mut response = Response::new(());
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static(case.cache_control()));
            response
        })
        .send_when(case.send);
        if case.hook {
            response = response.on_complete(&request, Arc::new(hook));
        }
        let response = futures::executor::block_on(response);
        let header = response.headers().get("server-timing");
        assert_eq!(header.is_some(), case.sent(), "{case:?}");
        if let Some(value) = header {
            assert_written(case, value, &[]);
        }
        assert_hook(case, &handed, &[]);
    }
}
