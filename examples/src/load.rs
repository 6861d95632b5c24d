//! The app `scripts/load-ab.sh` loads (through the `load_app` binary) and the
//! `actix_request` bench calls: handlers calling the same 5 `#[server_timing]` fns, with
//! nothing else (`trivial`) or around about 50 µs of CPU work (`cpu`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use server_timing_runtime::server_timing;

/// The CPU work of `/cpu`, split in 5 chunks around the instrumented calls.
pub const CPU_WORK: Duration = Duration::from_micros(50);

#[server_timing("parse")]
fn parse(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

#[server_timing("auth")]
fn auth(x: u64) -> u64 {
    black_box(x).wrapping_add(2)
}

#[server_timing("db", desc = "DB read")]
fn db(x: u64) -> u64 {
    black_box(x).wrapping_add(3)
}

#[server_timing("render")]
fn render(x: u64) -> u64 {
    black_box(x).wrapping_add(4)
}

#[server_timing("serialize")]
fn serialize(x: u64) -> u64 {
    black_box(x).wrapping_add(5)
}

/// `iterations` rounds of xorshift: CPU work whose cost does not depend on the clock.
fn spin(iterations: u64, mut state: u64) -> u64 {
    for _ in 0..iterations {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state = black_box(state);
    }
    state
}

/// `trivial`: the 5 instrumented calls and nothing else, so that the middleware's share of
/// the request is as large as it gets.
///
/// ```
/// use actix_web::test::{call_service, init_service, read_body, TestRequest};
/// use actix_web::{web, App};
/// use server_timing_runtime::actix::ServerTiming;
///
/// let app = App::new()
///     .wrap(ServerTiming::new())
///     .route("/trivial", web::get().to(server_timing_examples::load::trivial));
/// # actix_web::rt::System::new().block_on(async {
/// let app = init_service(app).await;
/// let response = call_service(&app, TestRequest::get().uri("/trivial").to_request()).await;
/// let value = response.headers().get("server-timing").unwrap().to_str().unwrap().to_owned();
/// let names: Vec<_> = server_timing_runtime::parse(&value).into_iter().map(|m| m.name).collect();
/// assert_eq!(names, ["total", "parse", "auth", "db", "render", "serialize"]);
/// assert_eq!(read_body(response).await, "16");
/// # });
/// ```
pub async fn trivial() -> HttpResponse {
    let x = serialize(render(db(auth(parse(1)))));
    HttpResponse::Ok().body(x.to_string())
}

/// `cpu`: the 5 instrumented calls between chunks of [`CPU_WORK`], a request whose own work
/// dominates. Reads its [`WorkIterations`] from the app data.
///
/// ```
/// use actix_web::test::{call_service, init_service, TestRequest};
/// use actix_web::{web, App};
/// use server_timing_examples::load::{cpu, WorkIterations};
/// use server_timing_runtime::actix::ServerTiming;
///
/// let app = App::new()
///     .wrap(ServerTiming::new())
///     .app_data(web::Data::new(WorkIterations(1_000)))
///     .route("/cpu", web::get().to(cpu));
/// # actix_web::rt::System::new().block_on(async {
/// let app = init_service(app).await;
/// let response = call_service(&app, TestRequest::get().uri("/cpu").to_request()).await;
/// assert!(response.status().is_success());
/// let value = response.headers().get("server-timing").unwrap().to_str().unwrap();
/// let names: Vec<_> = server_timing_runtime::parse(value).into_iter().map(|m| m.name).collect();
/// assert_eq!(names, ["total", "parse", "auth", "db", "render", "serialize"]);
/// # });
/// ```
pub async fn cpu(work: web::Data<WorkIterations>) -> HttpResponse {
    let chunk = work.0 / 5;
    let mut x = spin(chunk, 1) | 1;
    x = spin(chunk, parse(x));
    x = spin(chunk, auth(x));
    x = spin(chunk, db(x));
    x = spin(chunk, render(x));
    x = serialize(x);
    HttpResponse::Ok().body(x.to_string())
}

/// The xorshift iterations of one `/cpu` request (see [`calibrate`]).
///
/// ```
/// use actix_web::test::{call_service, init_service, TestRequest};
/// use actix_web::{web, App};
/// use server_timing_examples::load::{cpu, WorkIterations};
///
/// # actix_web::rt::System::new().block_on(async {
/// // `/cpu` reads it from the app data, and fails without it.
/// let with = App::new().app_data(web::Data::new(WorkIterations(1_000))).route("/cpu", web::get().to(cpu));
/// let response = call_service(&init_service(with).await, TestRequest::get().uri("/cpu").to_request()).await;
/// assert_eq!(response.status(), 200);
///
/// let without = App::new().route("/cpu", web::get().to(cpu));
/// let response = call_service(&init_service(without).await, TestRequest::get().uri("/cpu").to_request()).await;
/// assert_eq!(response.status(), 500);
/// # });
/// ```
#[derive(Clone, Copy, Debug)]
pub struct WorkIterations(pub u64);

/// Both handlers, as `/trivial` and `/cpu`.
///
/// ```
/// use actix_web::test::{call_service, init_service, TestRequest};
/// use actix_web::{web, App};
/// use server_timing_examples::load::{routes, WorkIterations};
///
/// let app = App::new()
///     .app_data(web::Data::new(WorkIterations(1_000)))
///     .service(web::scope("/without").configure(routes));
/// # actix_web::rt::System::new().block_on(async {
/// let app = init_service(app).await;
/// for path in ["/without/trivial", "/without/cpu"] {
///     let response = call_service(&app, TestRequest::get().uri(path).to_request()).await;
///     assert_eq!(response.status(), 200, "{path}");
///     // No middleware around this scope: no header.
///     assert!(!response.headers().contains_key("server-timing"), "{path}");
/// }
/// # });
/// ```
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/trivial", web::get().to(trivial))
        .route("/cpu", web::get().to(cpu));
}

/// The iteration count of `spin` that takes [`CPU_WORK`]: the fastest of several runs, so that
/// a busy machine inflates it as little as possible.
///
/// ```no_run
/// let work = server_timing_examples::load::calibrate();
/// # let _ = work;
/// ```
pub fn calibrate() -> u64 {
    const PROBE: u64 = 1_000_000;
    let fastest = (0..20)
        .map(|_| {
            let start = Instant::now();
            black_box(spin(PROBE, 1));
            start.elapsed()
        })
        .min()
        .unwrap_or(Duration::from_millis(1));
    let per_iteration = fastest.as_secs_f64() / PROBE as f64;
    (CPU_WORK.as_secs_f64() / per_iteration) as u64
}

/// The cost of one `Instant::now()`, in ns: the median over batches of back-to-back pairs,
/// read the way an instrumented call reads the clock (a start, then the elapsed time).
///
/// ```no_run
/// assert!(server_timing_examples::load::clock_cost() > 0.0);
/// ```
pub fn clock_cost() -> f64 {
    const PAIRS: u32 = 200_000;
    let mut batches: Vec<f64> = (0..15)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..PAIRS {
                let begin = Instant::now();
                black_box(begin.elapsed());
            }
            start.elapsed().as_secs_f64() * 1e9 / f64::from(PAIRS * 2)
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    batches[batches.len() / 2]
}
