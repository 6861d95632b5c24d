//! Two services, one trace: a "front" (axum, and the same front as actix-web) that calls an
//! "inventory" service (axum), each traced with OpenTelemetry and writing trace context into
//! its `Server-Timing`. Their request spans continue the caller's `traceparent`, so the
//! browser's trace, the front's spans and the inventory's spans are one trace. The recipe is
//! `server_timing_examples::services`; the docs page is `docs/trace-context.md`.
//!
//! ```sh
//! cargo run -p server-timing-examples --bin two_services
//! ```
//!
//! It prints where the services listen, one page from each front (its `Server-Timing`, and the
//! inventory's as the front received it), and every span the services exported, by trace; then
//! serves until Enter (or the end of standard input).

use std::error::Error;
use std::time::{Duration, Instant};

use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use server_timing_examples::services::{
    Parent, actix_front, front, inventory, propagation, running, telemetry,
};

/// Traces a browser's RUM agent started, one per page view.
const BROWSER: [&str; 2] = [
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
];

struct Traced {
    name: &'static str,
    provider: SdkTracerProvider,
    spans: InMemorySpanExporter,
}

impl Traced {
    fn new(name: &'static str) -> Self {
        let spans = InMemorySpanExporter::default();
        Traced {
            name,
            provider: telemetry::provider(name, spans.clone()),
            spans,
        }
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    propagation::install();
    let services = [
        Traced::new("inventory"),
        Traced::new("front"),
        Traced::new("front-actix"),
    ];
    let [inventory_telemetry, front_telemetry, actix_telemetry] = &services;

    let inventory = running::serve_axum(
        inventory::router(Parent::Extracted),
        telemetry::subscriber(&inventory_telemetry.provider, inventory_telemetry.name),
    )?;
    let inventory_url = inventory.url("");
    let front = running::serve_axum(
        front::router(&inventory_url, Parent::Extracted),
        telemetry::subscriber(&front_telemetry.provider, front_telemetry.name),
    )?;
    let actix_subscriber = tracing::Dispatch::new(telemetry::subscriber(
        &actix_telemetry.provider,
        actix_telemetry.name,
    ));
    let actix = running::serve_actix(move |listener| {
        actix_front::server(listener, &inventory_url, Parent::Extracted, actix_subscriber)
    })?;
    println!("inventory (axum)     http://{}/stock/widget", inventory.addr());
    println!("front (axum)         http://{}/product/widget", front.addr());
    println!("front (actix-web)    http://{}/product/widget", actix.addr());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()?;
    for (front, browser) in [&front, &actix].into_iter().zip(BROWSER) {
        let url = front.url("/product/widget");
        let (server_timing, body) = runtime.block_on(async {
            let response = client.get(&url).header("traceparent", browser).send().await?;
            let server_timing = response
                .headers()
                .get_all("server-timing")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .collect::<Vec<_>>()
                .join(", ");
            Ok::<_, reqwest::Error>((server_timing, response.text().await?))
        })?;
        let body: serde_json::Value = serde_json::from_str(&body)?;
        println!("\nGET {url}\n    traceparent: {browser}");
        println!("  Server-Timing: {server_timing}");
        println!(
            "  the inventory's, as the front got it: {}",
            body["inventory_server_timing"]
        );
    }

    // A request span ends when its response body is done, just after the client has it.
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline
        && services.iter().any(|service| {
            let spans = service.spans.get_finished_spans().unwrap_or_default();
            spans.iter().all(|span| span.name != "request")
        })
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut spans = Vec::new();
    for service in &services {
        service.provider.force_flush()?;
        for span in service.spans.get_finished_spans()? {
            spans.push((service.name, span));
        }
    }
    spans.sort_by_key(|(_, span)| (span.span_context.trace_id().to_string(), span.start_time));
    println!("\nSpans exported: trace, span, parent, service, name");
    for (service, span) in &spans {
        println!(
            "  {} {} {} {service:<12} {}",
            span.span_context.trace_id(),
            span.span_context.span_id(),
            span.parent_span_id,
            span.name
        );
    }

    println!("\nServing; press Enter to stop.");
    let _ = std::io::stdin().read_line(&mut String::new());
    front.stop(Duration::from_secs(5))?;
    actix.stop(Duration::from_secs(5))?;
    inventory.stop(Duration::from_secs(5))?;
    Ok(())
}
