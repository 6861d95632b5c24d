//! The Server-Timing demo: `cargo run -p server-timing-examples --bin demo [-- --port N]`.

use std::process::ExitCode;

use server_timing_examples::demo::{self, cli};

#[actix_web::main]
async fn main() -> ExitCode {
    let port = match cli::parse(std::env::args().skip(1), std::env::var("PORT").ok()) {
        Ok(cli::Command::Serve(port)) => port,
        Ok(cli::Command::Help) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("demo: {message}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let running = match demo::start(("127.0.0.1", port)).await {
        Ok(running) => running,
        Err(e) => {
            eprintln!("demo: cannot start on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("Server-Timing demo: open {}", running.url());
    println!(
        "  (inventory service on http://{}; Ctrl-C to stop)",
        running.inventory_addr()
    );
    match running.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}
