//! `on_complete` hooks under test: a hook that keeps every call, the comparison of a call's
//! metrics with the `Server-Timing` field the response carried, and the handlers' timed work
//! that every adapter's hook test serves.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use server_timing_runtime::{Completed, Metric, ParsedMetric, parse, server_timing};

use crate::names::{find, names};
use crate::wait::DEADLINE;

/// How long to keep watching for a second call after the first: a hook called twice would
/// have been called again within it.
pub const SETTLE: Duration = Duration::from_millis(150);

/// What one call of the hook saw, kept past the call.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub route: Option<String>,
    pub status: u16,
    pub total: Duration,
    pub metrics: Vec<Metric>,
    pub omitted: u32,
    pub sent: bool,
    pub aborted: bool,
    pub thread: std::thread::ThreadId,
}

impl Call {
    fn of(done: &Completed<'_>) -> Self {
        Call {
            method: done.method().to_string(),
            path: done.path().to_owned(),
            route: done.route().map(str::to_owned),
            status: done.status().as_u16(),
            total: done.total(),
            metrics: done.metrics().to_vec(),
            omitted: done.omitted(),
            sent: done.sent(),
            aborted: done.aborted(),
            thread: std::thread::current().id(),
        }
    }

    /// The metric `name` of this call; fails the test when there is none.
    pub fn metric(&self, name: &str) -> &Metric {
        find(&self.metrics, name)
    }
}

/// Every call of the hooks it makes.
#[derive(Clone, Default)]
pub struct Calls(Arc<Mutex<Vec<Call>>>);

impl Calls {
    /// No calls yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A hook that records its calls here.
    pub fn hook(&self) -> impl Fn(&Completed<'_>) + Send + Sync + 'static + use<> {
        let calls = self.clone();
        move |done| calls.0.lock().unwrap().push(Call::of(done))
    }

    /// [`hook`](Self::hook) as the `http` adapter takes it.
    pub fn arc_hook(&self) -> Arc<dyn Fn(&Completed<'_>) + Send + Sync> {
        Arc::new(self.hook())
    }

    /// How many calls were made so far.
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Every call made so far.
    pub fn all(&self) -> Vec<Call> {
        self.0.lock().unwrap().clone()
    }

    /// Wait (bounded) until `n` calls were made in all, then [`SETTLE`] more to catch extra
    /// ones; panics unless there are exactly `n`.
    pub async fn exactly(&self, n: usize) -> Vec<Call> {
        let start = Instant::now();
        while self.count() < n && start.elapsed() < DEADLINE {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(SETTLE).await;
        let calls = self.all();
        assert_eq!(calls.len(), n, "calls of on_complete: {calls:#?}");
        calls
    }

    /// The one call made since the last [`take`](Self::take), exactly one.
    pub async fn one(&self) -> Call {
        let call = self.exactly(1).await.remove(0);
        self.0.lock().unwrap().clear();
        call
    }

    /// Every call made so far, forgotten here.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// The request id a test put last in a path (`/user/7`), `usize::MAX` for none.
pub fn id_of(path: &str) -> usize {
    path.rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or(usize::MAX)
}

/// The entries of every `Server-Timing` field in `headers`, in order.
pub fn header_metrics(headers: &http::HeaderMap) -> Vec<ParsedMetric> {
    headers
        .get_all("server-timing")
        .iter()
        .flat_map(|value| parse(value.to_str().expect("an ASCII field")))
        .collect()
}

/// Asserts that `call` holds exactly the metrics `header` carried (`total` aside, which the
/// header measured when it was written, at most `call.total`), at the header's precision.
pub fn assert_same_metrics(call: &Call, header: &[ParsedMetric]) {
    let (total, rest) = header.split_first().expect("a total entry first");
    assert_eq!(total.name, "total", "{header:?}");
    assert!(
        Duration::from_secs_f64(total.duration / 1000.0) <= call.total + Duration::from_micros(1),
        "the header's total {} ms is past the call's {:?}",
        total.duration,
        call.total
    );
    assert_eq!(
        rest.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        names(&call.metrics),
        "names: header {header:?}, call {:?}",
        call.metrics
    );
    for (sent, kept) in rest.iter().zip(&call.metrics) {
        let kept_ms = kept.duration().map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        assert!(
            (sent.duration - kept_ms).abs() < 0.0006,
            "{}: header {} ms, call {kept_ms} ms",
            sent.name,
            sent.duration
        );
        // The writer adds notes after the text: "DB read (3 calls)".
        let text = kept.description().unwrap_or("");
        assert!(
            sent.description.starts_with(text),
            "{}: {:?} / {text:?}",
            sent.name,
            sent.description
        );
        if kept.count() > 1 {
            let calls = format!("{} calls", kept.count());
            assert!(
                sent.description.contains(&calls),
                "{}: {:?}",
                sent.name,
                sent.description
            );
        }
    }
}

/// The call of a request whose client reset the connection after `ran`, while its handler
/// (`db`, then the never-ending `slow`) was still running: once, aborted, not sent, status
/// 499, `total` covering what ran, and the cut-short call marked.
pub fn assert_reset_after(call: &Call, ran: Duration) {
    assert_eq!(call.status, 499);
    assert!(call.aborted && !call.sent, "{call:?}");
    // The server starts timing once it has read the request, which the client wrote before
    // it began to wait `ran`: a few milliseconds of that wait can fall before `total` starts.
    let slack = Duration::from_millis(10);
    assert!(
        call.total >= ran - slack && call.total < Duration::from_secs(10),
        "{:?}",
        call.total
    );
    assert_eq!(names(&call.metrics), ["db", "slow"]);
    let slow = call.metric("slow");
    assert!(slow.duration().unwrap() >= ran - slack, "{slow:?}");
    assert_eq!(slow.cancelled(), 1, "the cut-short call is marked: {slow:?}");
}

/// The call of a `GET /user/7?page=2` answered by `user` under any adapter: reported once,
/// sent, with the metrics its response's `headers` carried.
pub fn assert_user_call(call: &Call, headers: &http::HeaderMap) {
    assert_eq!(
        (call.method.as_str(), call.path.as_str(), call.route.as_deref()),
        ("GET", "/user/7", Some("/user/{id}"))
    );
    assert_eq!(call.status, 200);
    assert!(call.sent && !call.aborted && call.omitted == 0, "{call:?}");
    assert_eq!(names(&call.metrics), ["db", "render"]);
    assert!(call.metric("db").duration().unwrap() >= Duration::from_millis(2));
    assert_same_metrics(call, &header_metrics(headers));
}

/// The handlers' timed work, the same under every adapter: a 2 ms database read.
#[server_timing("db", desc = "DB read")]
pub async fn load_user(id: u32) -> String {
    tokio::time::sleep(Duration::from_millis(2)).await;
    format!("user {id}")
}

#[server_timing]
pub fn render(user: &str) -> String {
    format!("<p>{user}</p>")
}

/// Outlasts any test: only a reset connection or a dropped future ends it.
#[server_timing("slow")]
pub async fn slow() {
    tokio::time::sleep(Duration::from_secs(30)).await;
}
