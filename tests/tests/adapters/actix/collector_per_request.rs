//! Requests served one after the other on one thread, as a worker serves them: nothing of one
//! may show in the next, a collector the app kept stays its own (and readable after its
//! response), and each request gets its own middleware's options.

use std::sync::Mutex;
use std::time::Duration;

use actix_web::dev::ServiceResponse;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, HttpResponse, web};
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::{Options, ParsedMetric, Timings, parse, record};
use server_timing_tests::names::names;

/// What a browser reads from the response's `Server-Timing` field.
fn read<B>(response: &ServiceResponse<B>) -> Vec<ParsedMetric> {
    let value = response
        .headers()
        .get("server-timing")
        .expect("a Server-Timing field");
    parse(value.to_str().expect("visible ASCII"))
}

/// What a browser reads from the `Server-Timing` field of `$app`'s answer to GET `$path`. A
/// macro: actix-web does not name the request type its test services take.
macro_rules! get {
    ($app:expr_2021, $path:expr_2021) => {
        read(&call_service($app, TestRequest::get().uri($path).to_request()).await)
    };
}

const SLOW: Duration = Duration::from_millis(30);

async fn slow() -> HttpResponse {
    record("first", Duration::from_millis(1));
    std::thread::sleep(SLOW);
    HttpResponse::Ok().finish()
}

async fn fast() -> HttpResponse {
    record("second", Duration::from_millis(2));
    HttpResponse::Ok().finish()
}

#[actix_web::test]
async fn each_request_on_a_thread_starts_with_an_empty_collector_and_its_own_total() {
    let app = init_service(
        App::new()
            .wrap(ServerTiming::new())
            .route("/slow", web::get().to(slow))
            .route("/fast", web::get().to(fast)),
    )
    .await;
    let first = get!(&app, "/slow");
    assert_eq!(names(&first), ["total", "first"]);
    assert!(first[0].duration >= SLOW.as_secs_f64() * 1e3, "{first:?}");
    for _ in 0..3 {
        let second = get!(&app, "/fast");
        assert_eq!(names(&second), ["total", "second"]);
        // Timed from this request's start, not from the slow one's.
        assert!(second[0].duration < SLOW.as_secs_f64() * 1e3, "{second:?}");
    }
}

#[actix_web::test]
async fn a_collector_the_app_keeps_stays_its_own() {
    let kept = web::Data::new(Mutex::new(Vec::<Timings>::new()));
    let app = init_service(
        App::new()
            .wrap(ServerTiming::new())
            .app_data(kept.clone())
            .route(
                "/keep",
                web::get().to(|kept: web::Data<Mutex<Vec<Timings>>>| async move {
                    record("kept", Duration::from_millis(1));
                    let current = Timings::current().expect("a collector is current");
                    kept.lock().unwrap().push(current);
                    HttpResponse::Ok().finish()
                }),
            )
            .route("/fast", web::get().to(fast)),
    )
    .await;
    assert_eq!(names(get!(&app, "/keep")), ["total", "kept"]);
    for _ in 0..3 {
        assert_eq!(names(get!(&app, "/fast")), ["total", "second"]);
    }
    let kept = kept.lock().unwrap();
    let metrics = kept[0].metrics();
    assert_eq!(metrics.len(), 1, "{metrics:?}");
    assert_eq!(metrics[0].name(), "kept");
}

#[actix_web::test]
async fn requests_alternating_between_two_middlewares_get_their_own_options() {
    let app = init_service(
        App::new()
            .service(
                web::scope("/plain")
                    .wrap(ServerTiming::new())
                    .route("", web::get().to(fast)),
            )
            .service(
                web::scope("/bare")
                    .wrap(ServerTiming::new().options(Options::new().no_total()))
                    .route("", web::get().to(fast)),
            ),
    )
    .await;
    for _ in 0..3 {
        assert_eq!(names(get!(&app, "/plain")), ["total", "second"]);
        assert_eq!(names(get!(&app, "/bare")), ["second"]);
    }
}
