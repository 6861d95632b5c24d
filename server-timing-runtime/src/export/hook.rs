//! Running an `on_complete` hook exactly once per request, whenever and however the request
//! ends, with a panic in it contained.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use http::{Method, StatusCode};

use crate::collector::timings::Timings;
use crate::export::completed::Completed;
use crate::header::sanitize;

/// An `on_complete` hook as the adapters keep it.
pub(crate) type Hook = Arc<dyn Fn(&Completed<'_>) + Send + Sync>;

/// The status reported when the client went away before a response was made: nginx's
/// "client closed request", which log tools already know.
const CLIENT_CLOSED_REQUEST: u16 = 499;

/// The request's path as the framework keeps it, without copying it.
pub(crate) enum Path {
    Uri(http::Uri),
    #[cfg(feature = "actix-web")]
    Actix(actix_web::http::Uri),
}

impl Path {
    fn as_str(&self) -> &str {
        match self {
            Path::Uri(uri) => uri.path(),
            #[cfg(feature = "actix-web")]
            Path::Actix(uri) => uri.path(),
        }
    }
}

/// A request whose hook has not run yet. It runs exactly once: from [`finish`](Self::finish)
/// when the response is done, or, when this is dropped before, as an aborted request.
pub(crate) struct Pending {
    hook: Hook,
    timings: Timings,
    method: Method,
    path: Path,
    route: Option<String>,
    status: Option<StatusCode>,
    sent: bool,
    // Set around every poll of the request's future: still set when it is dropped means the
    // poll unwound (the handler panicked), whoever caught the panic.
    polling: bool,
    done: bool,
}

impl Pending {
    pub(crate) fn new(hook: Hook, timings: Timings, method: Method, path: Path) -> Box<Self> {
        Box::new(Pending {
            hook,
            timings,
            method,
            path,
            route: None,
            status: None,
            sent: false,
            polling: false,
            done: false,
        })
    }

    #[cfg_attr(not(any(feature = "actix-web", feature = "tower")), allow(dead_code))]
    pub(crate) fn set_route(&mut self, route: Option<String>) {
        self.route = route;
    }

    /// Around a poll of the request's future; see `polling`.
    pub(crate) fn polling(&mut self, polling: bool) {
        self.polling = polling;
    }

    /// The response head is ready; `sent` says whether it carries the metrics.
    pub(crate) fn respond(&mut self, status: StatusCode, sent: bool) {
        self.status = Some(status);
        self.sent = sent;
    }

    /// The metrics went out after all, in a trailer.
    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn sent_in_trailer(&mut self) {
        self.sent = true;
    }

    /// Whether the client is owed body frames: else a body dropped unpolled is no abort.
    #[cfg_attr(not(any(feature = "actix-web", feature = "tower")), allow(dead_code))]
    pub(crate) fn expects_body(&self) -> bool {
        let bodiless = self.status.is_some_and(|status| {
            status.is_informational()
                || status == StatusCode::NO_CONTENT
                || status == StatusCode::NOT_MODIFIED
        });
        self.method != Method::HEAD && !bodiless
    }

    /// The response is done (or, `aborted`, ended early): run the hook.
    pub(crate) fn finish(&mut self, aborted: bool) {
        self.run(aborted);
    }

    fn run(&mut self, aborted: bool) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let total = self.timings.elapsed();
        let metrics = self.timings.metrics();
        let trace_parent = self.timings.trace_parent();
        let total_name = self
            .timings
            .options()
            .config()
            .total
            .as_deref()
            .map(sanitize::name_of);
        let panicked = self.polling || std::thread::panicking();
        let status = match self.status {
            Some(status) => status,
            None if panicked => StatusCode::INTERNAL_SERVER_ERROR,
            None => StatusCode::from_u16(CLIENT_CLOSED_REQUEST).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        };
        let completed = Completed {
            method: &self.method,
            path: self.path.as_str(),
            route: self.route.as_deref(),
            status,
            total,
            total_name: total_name.as_deref(),
            metrics: &metrics,
            omitted: self.timings.omitted(),
            sent: self.sent,
            aborted: aborted || panicked,
            trace_parent: trace_parent.as_ref(),
        };
        run_hook(&*self.hook, &completed);
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.run(true);
    }
}

/// Run `hook`, containing a panic in it: the response, the worker and every other request go
/// on. The panic hook of the process has reported the panic (std's default prints it to
/// stderr) before it is caught here; this request's call of the hook is what is lost.
/// With `panic = "abort"` nothing can be contained: the process ends, as for any panic.
fn run_hook(hook: &(dyn Fn(&Completed<'_>) + Send + Sync), completed: &Completed<'_>) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| hook(completed))) {
        // A payload whose own drop panics must not escape either.
        let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
    }
}
