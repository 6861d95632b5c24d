//! The app `scripts/load-ab.sh` loads to measure what the `ServerTiming` middleware adds to a
//! whole request: one process serves the same handlers both without and with the middleware.
//!
//! ```text
//! load_app serve [--port N] [--work-iters N]
//! load_app calibrate      # prints the --work-iters value that takes about 50 µs here
//! load_app clock-cost     # prints the cost of one Instant::now() read, in ns
//! ```
//!
//! `serve` runs two servers of one worker each on 127.0.0.1, the same app without and with
//! the middleware, and prints `without listening on 127.0.0.1:PORT` and `with listening on
//! 127.0.0.1:PORT` once bound (ports 0, i.e. any free one, unless `--port N` gives the first;
//! the second is then N + 1). Both serve two handlers, each calling the same 5 instrumented
//! fns: `/trivial` nothing else, `/cpu` about 50 µs of CPU work around them.
//!
//! One process, rather than one per variant, keeps both on the same memory layout, whose
//! changes from one process to the next move throughput by more than the effect measured.
//! Two servers, rather than both variants under two paths of one app, give both the same
//! routing: with one app, the variant registered second also pays a failed prefix match.

use std::process::ExitCode;

use actix_web::{App, HttpServer, web};
use server_timing_examples::load::{WorkIterations, calibrate, clock_cost, routes};
use server_timing_runtime::actix::ServerTiming;

/// The options of `serve`.
struct ServeArgs {
    port: u16,
    work: WorkIterations,
}

/// Parses the arguments after `serve`; calibrates the work per `/cpu` request unless
/// `--work-iters` gives it.
fn parse_serve_args(mut args: impl Iterator<Item = String>) -> Result<ServeArgs, String> {
    let mut port = 0;
    let mut work = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
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
        port,
        work: WorkIterations(work.unwrap_or_else(calibrate)),
    })
}

/// Serves both variants, one worker each, until the process is stopped.
async fn serve(ServeArgs { port, work }: ServeArgs) -> std::io::Result<()> {
    let without = HttpServer::new(move || App::new().app_data(web::Data::new(work)).configure(routes))
        .workers(1)
        .shutdown_timeout(1)
        .bind(("127.0.0.1", port))?;
    let with = HttpServer::new(move || {
        App::new()
            .wrap(ServerTiming::new())
            .app_data(web::Data::new(work))
            .configure(routes)
    })
    .workers(1)
    .shutdown_timeout(1)
    .bind(("127.0.0.1", if port == 0 { 0 } else { port + 1 }))?;
    announce("without", &without.addrs());
    announce("with", &with.addrs());
    let without = actix_web::rt::spawn(without.run());
    with.run().await?;
    without.await.map_err(std::io::Error::other)?
}

/// Prints the bound addresses, which the script reads to learn the ports.
fn announce(variant: &str, addresses: &[std::net::SocketAddr]) {
    for address in addresses {
        println!("{variant} listening on {address}");
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
        _ => Err("usage: load_app serve [--port N] [--work-iters N] | calibrate | clock-cost".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("load_app: {message}");
            ExitCode::FAILURE
        }
    }
}
