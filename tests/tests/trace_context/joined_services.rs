//! Trace joining across two services, as the example's recipe does it
//! (`server_timing_examples::services`): its front (axum, or actix-web) calls its inventory
//! (axum) over loopback, each service under its own `tracing` subscriber with the
//! `tracing-opentelemetry` layer and its own OpenTelemetry SDK exporting spans to memory.
//!
//! With the recipe's extraction, the front's `traceparent` entry, the inventory's (as the front
//! received it) and every span both services export name one trace, the browser's when it sent
//! one, and the inventory's request span is a child of the front's. Without it (tower-http's
//! default span), each service's trace is its own; and the runtime says so, once, at WARN.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use server_timing_examples::services::running::Running;
use server_timing_examples::services::{
    Parent, actix_front, front, inventory, propagation, running, telemetry,
};
use server_timing_runtime::{TraceParent, parse};
use server_timing_tests::clients::client;
use server_timing_tests::trace_ids::hex;
use server_timing_tests::wait::{DEADLINE, bounded, run, wait_until};
use tracing::field::{Field, Visit};
use tracing::{Dispatch, Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// A page view whose RUM agent started a trace.
const BROWSER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const BROWSER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const BROWSER_SPAN: &str = "00f067aa0ba902b7";

/// How long a service may take to stop at the end of a test.
const STOP: Duration = Duration::from_secs(5);

/// Which front the stack runs.
#[derive(Clone, Copy, Debug)]
enum Front {
    Axum,
    Actix,
}

/// One service's OpenTelemetry SDK, its spans exported to memory.
struct Sdk {
    provider: SdkTracerProvider,
    spans: InMemorySpanExporter,
}

impl Sdk {
    fn new(service: &'static str) -> Self {
        let spans = InMemorySpanExporter::default();
        Sdk {
            provider: telemetry::provider(service, spans.clone()),
            spans,
        }
    }

    /// The service's subscriber, as the example builds it, with `capture` on top when given.
    fn dispatch(&self, service: &'static str, capture: Option<Capture>) -> Dispatch {
        Dispatch::new(telemetry::subscriber(&self.provider, service).with(capture))
    }

    fn request_spans(&self) -> usize {
        let spans = self.spans.get_finished_spans().unwrap_or_default();
        spans.iter().filter(|span| span.name == "request").count()
    }

    /// What was exported so far, emptied for the next request.
    fn take(&self) -> Vec<SpanData> {
        self.provider.force_flush().expect("the SDK flushes");
        let spans = self.spans.get_finished_spans().expect("the exporter is open");
        self.spans.reset();
        spans
    }
}

/// The example's two services, running over loopback until [`stop`](Self::stop).
struct Stack {
    front: Running,
    inventory: Running,
    front_sdk: Sdk,
    inventory_sdk: Sdk,
}

impl Stack {
    /// The inventory (axum) and `front`, both with request spans parented as `parent` says,
    /// each under its own subscriber (with `capture`, when given).
    fn start(front: Front, parent: Parent, capture: Option<Capture>) -> Stack {
        propagation::install();
        let inventory_sdk = Sdk::new("inventory");
        let front_sdk = Sdk::new("front");
        let inventory = running::serve_axum(
            inventory::router(parent),
            inventory_sdk.dispatch("inventory", capture.clone()),
        )
        .expect("the inventory starts");
        let url = inventory.url("");
        let dispatch = front_sdk.dispatch("front", capture);
        let front = match front {
            Front::Axum => running::serve_axum(front::router(&url, parent), dispatch),
            Front::Actix => {
                running::serve_actix(move |listener| actix_front::server(listener, &url, parent, dispatch))
            }
        }
        .expect("the front starts");
        Stack {
            front,
            inventory,
            front_sdk,
            inventory_sdk,
        }
    }

    /// `GET /product/widget` from the front, with the browser's `traceparent` when given, and
    /// the spans both services exported for it.
    async fn page(&self, browser: Option<&str>) -> Page {
        let mut request = client().get(self.front.url("/product/widget"));
        if let Some(traceparent) = browser {
            request = request.header("traceparent", traceparent);
        }
        let response = bounded(request.send()).await.expect("the front answers");
        assert_eq!(response.status(), 200);
        let header = response
            .headers()
            .get_all("server-timing")
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join(", ");
        let body = bounded(response.text()).await.expect("the page's body");
        let body: serde_json::Value = serde_json::from_str(&body).expect("a JSON page");
        assert_eq!(body["in_stock"], 3, "{body}");
        // A request span ends when its response body is done: just after the client has it.
        let exported = wait_until(DEADLINE, || {
            self.front_sdk.request_spans() == 1 && self.inventory_sdk.request_spans() == 1
        })
        .await;
        assert!(exported, "each service exported its request span");
        Page {
            header,
            callee_header: body["inventory_server_timing"]
                .as_str()
                .expect("the inventory's Server-Timing")
                .to_owned(),
            front: self.front_sdk.take(),
            inventory: self.inventory_sdk.take(),
        }
    }

    /// Stop both, each within a bound: the front first (it holds connections to the
    /// inventory).
    fn stop(self) {
        self.front.stop(STOP).expect("the front stops");
        self.inventory.stop(STOP).expect("the inventory stops");
    }
}

/// One page: the front's `Server-Timing`, the inventory's as the front received it, and the
/// spans each service exported.
struct Page {
    header: String,
    callee_header: String,
    front: Vec<SpanData>,
    inventory: Vec<SpanData>,
}

impl Page {
    /// The front's own `traceparent` entry.
    fn front_entry(&self) -> TraceParent {
        traceparent_entry(&self.header, "traceparent")
            .unwrap_or_else(|| panic!("a traceparent entry: {}", self.header))
    }

    /// The inventory's `traceparent` entry, from its response to the front.
    fn callee_entry(&self) -> TraceParent {
        traceparent_entry(&self.callee_header, "traceparent")
            .unwrap_or_else(|| panic!("a traceparent entry: {}", self.callee_header))
    }

    /// The span named `name` that the front (`front`) or the inventory exported: one.
    fn span<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
        let mut named = spans.iter().filter(|span| span.name == name);
        let span = named
            .next()
            .unwrap_or_else(|| panic!("a {name} span in {spans:#?}"));
        assert!(named.next().is_none(), "one {name} span");
        span
    }

    fn traces(spans: &[SpanData]) -> Vec<TraceId> {
        let mut traces: Vec<TraceId> = spans.iter().map(|s| s.span_context.trace_id()).collect();
        traces.sort_by_key(|t| t.to_bytes());
        traces.dedup();
        traces
    }
}

/// The entry `name` of `header`, read as a browser reads it, as a `traceparent`.
fn traceparent_entry(header: &str, name: &str) -> Option<TraceParent> {
    let entries = parse(header);
    let entry = entries.iter().find(|e| e.name == name)?;
    Some(entry.description.parse().expect("a valid traceparent"))
}

fn trace_of(span: &SpanData) -> String {
    span.span_context.trace_id().to_string()
}

fn id_of(span: &SpanData) -> String {
    span.span_context.span_id().to_string()
}

/// The page is one trace, as the recipe makes it: the browser's when it sent a `traceparent`
/// (`browser`), else the one the front started.
fn assert_joined(page: &Page, browser: bool) {
    let front = page.front_entry();
    let callee = page.callee_entry();
    let front_request = Page::span(&page.front, "request");
    let check_stock = Page::span(&page.front, "check_stock");
    let render = Page::span(&page.front, "render");
    let inventory_request = Page::span(&page.inventory, "request");
    let count = Page::span(&page.inventory, "count");

    // The front's entry names the front's request span, in the browser's trace if it sent one.
    let trace = hex(&front.trace_id());
    assert_eq!(hex(&front.parent_id()), id_of(front_request), "{}", page.header);
    assert!(front.sampled(), "Splunk's agents match -01: {}", page.header);
    if browser {
        assert_eq!(trace, BROWSER_TRACE, "the browser's trace: {}", page.header);
        assert_eq!(front_request.parent_span_id.to_string(), BROWSER_SPAN);
        assert!(front_request.parent_span_is_remote);
    } else {
        assert_eq!(
            front_request.parent_span_id,
            SpanId::INVALID,
            "no caller: the front's request span is the root"
        );
    }

    // The inventory's entry: the same trace, naming the inventory's request span.
    assert_eq!(hex(&callee.trace_id()), trace, "{}", page.callee_header);
    assert_eq!(
        hex(&callee.parent_id()),
        id_of(inventory_request),
        "{}",
        page.callee_header
    );
    // Where the front's header carries the inventory's entry (merged as `inventory.*`), it is
    // the one the inventory wrote.
    if let Some(merged) = traceparent_entry(&page.header, "inventory.traceparent") {
        assert_eq!(merged, callee, "{}", page.header);
    }

    // Every span both services exported for the page: one trace.
    assert_eq!(Page::traces(&page.front), [front_request.span_context.trace_id()]);
    assert_eq!(
        Page::traces(&page.inventory),
        [front_request.span_context.trace_id()]
    );
    assert_eq!(trace_of(inventory_request), trace);

    // The front's work is its request's children; the inventory's request span is a child of
    // the front's span that made the call, or of one of that span's ancestors.
    assert_eq!(check_stock.parent_span_id, front_request.span_context.span_id());
    assert_eq!(render.parent_span_id, front_request.span_context.span_id());
    let mut callers = vec![check_stock.span_context.span_id()];
    while let Some(up) = page
        .front
        .iter()
        .find(|s| s.span_context.span_id() == *callers.last().unwrap())
        .map(|s| s.parent_span_id)
        .filter(|parent| page.front.iter().any(|s| s.span_context.span_id() == *parent))
    {
        callers.push(up);
    }
    assert!(
        callers.contains(&inventory_request.parent_span_id),
        "the inventory's request span ({}) is a child of the front's call ({callers:?})",
        inventory_request.parent_span_id
    );
    assert!(inventory_request.parent_span_is_remote);
    assert_eq!(count.parent_span_id, inventory_request.span_context.span_id());
}

#[test]
fn with_the_extraction_the_axum_services_are_one_trace_the_browsers() {
    let stack = Stack::start(Front::Axum, Parent::Extracted, None);
    let page = run(stack.page(Some(BROWSER)));
    assert_joined(&page, true);
    stack.stop();
}

#[test]
fn with_the_extraction_the_axum_services_are_one_trace_the_front_started() {
    let stack = Stack::start(Front::Axum, Parent::Extracted, None);
    let page = run(stack.page(None));
    assert_joined(&page, false);
    stack.stop();
}

#[test]
fn with_the_wrap_fn_the_actix_front_and_the_inventory_are_one_trace() {
    let stack = Stack::start(Front::Actix, Parent::Extracted, None);
    let (with_browser, without) = run(async {
        let with_browser = stack.page(Some(BROWSER)).await;
        (with_browser, stack.page(None).await)
    });
    assert_joined(&with_browser, true);
    assert_joined(&without, false);
    assert_ne!(
        with_browser.front_entry().trace_id(),
        without.front_entry().trace_id(),
        "a page view without a trace gets a new one"
    );
    stack.stop();
}

#[test]
fn without_the_extraction_each_service_is_a_trace_of_its_own() {
    // tower-http's `TraceLayer` as it comes: what the recipe fixes.
    let stack = Stack::start(Front::Axum, Parent::Root, None);
    let pages = run(async {
        let with_browser = stack.page(Some(BROWSER)).await;
        (with_browser, stack.page(None).await)
    });
    for (page, browser) in [(&pages.0, true), (&pages.1, false)] {
        let front = page.front_entry();
        let callee = page.callee_entry();
        let front_request = Page::span(&page.front, "request");
        let inventory_request = Page::span(&page.inventory, "request");
        // Each entry names its own service's span: the ids come from OpenTelemetry.
        assert_eq!(hex(&front.parent_id()), id_of(front_request));
        assert_eq!(hex(&callee.parent_id()), id_of(inventory_request));
        // Both request spans are roots, whatever the request carried.
        assert_eq!(
            front_request.parent_span_id,
            SpanId::INVALID,
            "browser: {browser}"
        );
        assert_eq!(inventory_request.parent_span_id, SpanId::INVALID);
        if browser {
            assert_ne!(
                hex(&front.trace_id()),
                BROWSER_TRACE,
                "the browser's trace is lost"
            );
        }
        // The callee's entry names a trace that the caller's trace does not contain.
        assert_ne!(callee.trace_id(), front.trace_id(), "{}", page.callee_header);
        let front_traces = Page::traces(&page.front);
        assert_eq!(front_traces.len(), 1);
        assert!(
            Page::traces(&page.inventory)
                .iter()
                .all(|trace| !front_traces.contains(trace))
        );
    }
    stack.stop();
}

/// The events at WARN and above that a service's subscriber saw: target and message.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<(String, Level, String)>>>);

impl Capture {
    fn warnings(&self) -> Vec<(String, Level, String)> {
        self.0.lock().unwrap().clone()
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() > Level::WARN {
            return;
        }
        struct Message(String);
        impl Visit for Message {
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        let metadata = event.metadata();
        self.0
            .lock()
            .unwrap()
            .push((metadata.target().to_owned(), *metadata.level(), message.0));
    }
}

/// Set in the child process that [`without_the_extraction_the_runtime_warns_once_naming_the_fix`]
/// runs itself in.
const WARN_CHILD: &str = "SERVER_TIMING_JOINED_SERVICES_WARN_CHILD";

/// The runtime's WARN (its contract): when trace context takes its ids from an OpenTelemetry
/// span that does not continue the request's valid incoming `traceparent`, it logs once per
/// process through `tracing`, at WARN, target `server_timing::trace_context`, naming the fix
/// (the message says "extract" and "traceparent").
///
/// Once per process: so the test runs in a process of its own, this test binary run again
/// with only this test, where nothing else has triggered it; any other test of the binary
/// (the one above without the extraction, say) may trigger it in this one.
#[test]
fn without_the_extraction_the_runtime_warns_once_naming_the_fix() {
    if std::env::var_os(WARN_CHILD).is_some() {
        warns_once();
        return;
    }
    let name = concat!(
        module_path!(),
        "::without_the_extraction_the_runtime_warns_once_naming_the_fix"
    );
    // The test's name without the crate's: `joined_services::...`.
    let name = name.split_once("::").map_or(name, |(_, rest)| rest);
    let mut child = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(WARN_CHILD, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the test binary runs again");
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut out = String::new();
            let _ = pipe.read_to_string(&mut out);
            out
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child's status") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child test did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(status.success(), "in a process of its own:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the child ran the test: {stdout}");
}

/// The child's part: first with the extraction (no warning: the spans continue the requests'
/// `traceparent`), then several pages without it, each request carrying a valid
/// `traceparent` that the services' root spans do not continue.
fn warns_once() {
    let capture = Capture::default();
    let joined = Stack::start(Front::Axum, Parent::Extracted, Some(capture.clone()));
    run(async {
        for _ in 0..2 {
            let page = joined.page(Some(BROWSER)).await;
            assert_joined(&page, true);
        }
    });
    joined.stop();
    let ours = |warnings: Vec<(String, Level, String)>| {
        warnings
            .into_iter()
            .filter(|(target, _, _)| target.starts_with("server_timing"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ours(capture.warnings()),
        [],
        "no warning where the spans continue the request's traceparent"
    );

    let split = Stack::start(Front::Axum, Parent::Root, Some(capture.clone()));
    run(async {
        for _ in 0..3 {
            let page = split.page(Some(BROWSER)).await;
            assert_ne!(hex(&page.front_entry().trace_id()), BROWSER_TRACE);
        }
    });
    split.stop();

    // ---- THE RUNTIME'S WARN CONTRACT ----
    // Six requests (three to each service) took their ids from a root span although they
    // carried a valid `traceparent`: exactly one WARN, target `server_timing::trace_context`,
    // its message naming the fix.
    let warnings = ours(capture.warnings());
    assert_eq!(
        warnings.len(),
        1,
        "the runtime warns once per process that the request's traceparent was not extracted \
         (target server_timing::trace_context, level WARN): got {warnings:?}"
    );
    let (target, level, message) = &warnings[0];
    assert_eq!(target, "server_timing::trace_context");
    assert_eq!(*level, Level::WARN);
    assert!(
        message.contains("extract") && message.contains("traceparent"),
        "the message names the fix: {message}"
    );
}
