//! The app `scripts/load-ab.sh` loads, once without and once with the `ServerTiming`
//! middleware, to measure what the middleware adds to a whole request.
//!
//! ```text
//! load_app serve (--with-timing | --without-timing) [--port N] [--work-iters N]
//! load_app calibrate      # prints the --work-iters value that takes about 50 µs here
//! load_app clock-cost     # prints the cost of one Instant::now() read, in ns
//! ```
//!
//! `serve` runs one worker on 127.0.0.1 (port 0 unless given) and prints
//! `listening on 127.0.0.1:PORT` once bound. Two handlers, each calling the same 5
//! instrumented fns: `/trivial` nothing else, `/cpu` about 50 µs of CPU work around them.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use server_timing_runtime::actix::ServerTiming;
use server_timing_runtime::server_timing;

/// The CPU work of `/cpu`, split in 5 chunks around the instrumented calls.
const CPU_WORK: Duration = Duration::from_micros(50);

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

async fn trivial() -> HttpResponse {
    let x = serialize(render(db(auth(parse(1)))));
    HttpResponse::Ok().body(x.to_string())
}

async fn cpu(work: web::Data<WorkIterations>) -> HttpResponse {
    let chunk = work.0 / 5;
    let mut x = spin(chunk, 1) | 1;
    x = spin(chunk, parse(x));
    x = spin(chunk, auth(x));
    x = spin(chunk, db(x));
    x = spin(chunk, render(x));
    x = serialize(x);
    HttpResponse::Ok().body(x.to_string())
}

#[derive(Clone, Copy)]
struct WorkIterations(u64);

fn routes(config: &mut web::ServiceConfig, work: WorkIterations) {
    config
        .app_data(web::Data::new(work))
        .route("/trivial", web::get().to(trivial))
        .route("/cpu", web::get().to(cpu));
}

/// The iteration count of `spin` that takes `CPU_WORK`: the fastest of several runs, so that
/// a busy machine inflates it as little as possible.
fn calibrate() -> u64 {
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
fn clock_cost() -> f64 {
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

struct ServeArgs {
    with_timing: bool,
    port: u16,
    work: WorkIterations,
}

fn parse_serve_args(mut args: impl Iterator<Item = String>) -> Result<ServeArgs, String> {
    let mut with_timing = None;
    let mut port = 0;
    let mut work = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--with-timing" => with_timing = Some(true),
            "--without-timing" => with_timing = Some(false),
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value.parse().map_err(|_| format!("bad port {value:?}"))?;
            }
            "--work-iters" => {
                let value = args.next().ok_or("--work-iters needs a value")?;
                work = Some(value.parse().map_err(|_| format!("bad --work-iters {value:?}"))?);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(ServeArgs {
        with_timing: with_timing.ok_or("say --with-timing or --without-timing")?,
        port,
        work: WorkIterations(work.unwrap_or_else(calibrate)),
    })
}

async fn serve(args: ServeArgs) -> std::io::Result<()> {
    let ServeArgs {
        with_timing,
        port,
        work,
    } = args;
    let address = ("127.0.0.1", port);
    // Two branches rather than a runtime switch inside one app, so that the app without the
    // middleware carries nothing of it.
    let server = if with_timing {
        let server = HttpServer::new(move || {
            App::new()
                .wrap(ServerTiming::new())
                .configure(|config| routes(config, work))
        })
        .workers(1)
        .shutdown_timeout(1)
        .bind(address)?;
        announce(&server.addrs());
        server.run()
    } else {
        let server = HttpServer::new(move || App::new().configure(|config| routes(config, work)))
            .workers(1)
            .shutdown_timeout(1)
            .bind(address)?;
        announce(&server.addrs());
        server.run()
    };
    server.await
}

fn announce(addresses: &[std::net::SocketAddr]) {
    for address in addresses {
        println!("listening on {address}");
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let result = match args.next().as_deref() {
        Some("serve") => parse_serve_args(args).and_then(|args| {
            actix_web::rt::System::new()
                .block_on(serve(args))
                .map_err(|e| e.to_string())
        }),
        Some("calibrate") => {
            println!("{}", calibrate());
            Ok(())
        }
        Some("clock-cost") => {
            println!("{:.2}", clock_cost());
            Ok(())
        }
        _ => Err(
            "usage: load_app serve (--with-timing | --without-timing) [--port N] [--work-iters N] \
                  | calibrate | clock-cost"
                .to_owned(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("load_app: {message}");
            ExitCode::FAILURE
        }
    }
}
