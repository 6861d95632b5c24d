//! WebKitWebDriver on 127.0.0.1, and the few W3C WebDriver calls a test makes of it (new
//! session, navigate, run a script, page source, delete session), each an HTTP request over
//! reqwest bounded in time. The driver and the browser it starts share its process group,
//! killed when the driver is dropped.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::process_group::{ProcessGroup, drain};

/// Longest the driver may take to answer `/status` as ready.
const START_LIMIT: Duration = Duration::from_secs(20);

/// How many free ports are tried: another program may take the one found before the driver
/// binds it.
const PORT_TRIES: usize = 3;

/// Longest one WebDriver call may take; navigating waits for the page's `load` event.
const CALL_LIMIT: Duration = Duration::from_secs(90);

/// A running WebKitWebDriver; it, and any browser it started, killed when dropped.
pub struct Driver {
    base: String,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    group: ProcessGroup,
    child: Child,
    stderr: Option<JoinHandle<String>>,
}

impl Driver {
    /// Starts `binary` on a free port of 127.0.0.1 with the browser's X display `display`,
    /// and waits until it is ready for a session.
    pub fn start(binary: &Path, display: &str) -> Driver {
        let mut failures = Vec::new();
        for _ in 0..PORT_TRIES {
            let port = free_port();
            let mut child = Command::new(binary)
                .args([format!("--port={port}"), "--host=127.0.0.1".to_owned()])
                .env("DISPLAY", display)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
            let group = ProcessGroup::of(&child);
            let stderr = Some(drain(child.stderr.take()));
            let mut driver = Driver {
                base: format!("http://127.0.0.1:{port}"),
                http: reqwest::Client::builder()
                    .no_proxy()
                    .timeout(CALL_LIMIT)
                    .build()
                    .expect("an HTTP client"),
                runtime: tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the WebDriver client"),
                group,
                child,
                stderr,
            };
            match driver.wait_ready() {
                Ok(()) => return driver,
                Err(failure) => {
                    let stderr = driver.stop();
                    failures.push(format!("port {port}: {failure}\n--- stderr ---\n{stderr}"));
                }
            }
        }
        panic!(
            "WebKitWebDriver did not get ready in {PORT_TRIES} tries:\n{}",
            failures.join("\n")
        );
    }

    /// Polls `/status` until the driver says it is ready, for at most [`START_LIMIT`].
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_LIMIT;
        let mut last = String::from("no answer");
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited: {status}"));
            }
            match self.call(reqwest::Method::GET, "/status", None) {
                Ok(value) if value["ready"].as_bool() == Some(true) => return Ok(()),
                Ok(value) => last = value.to_string(),
                Err(e) => last = e,
            }
            thread::sleep(Duration::from_millis(100));
        }
        Err(format!("not ready within {START_LIMIT:?}: {last}"))
    }

    /// One WebDriver command: its `value`, or the error the driver (or the transport) gave.
    pub fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let answer = self.runtime.block_on(async move {
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            let bytes = response.bytes().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((status, bytes))
        });
        let (status, bytes) = answer.map_err(|e| format!("{path}: {e}"))?;
        let mut reply: Value = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "{path}: {status}, not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })?;
        let value = reply["value"].take();
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!(
                "{path}: {status}: {} {}",
                value["error"], value["message"]
            ))
        }
    }

    /// Opens a session in `browser` (MiniBrowser, or another WebKitGTK browser) run with
    /// `--automation`; its id.
    pub fn new_session(
        &self,
        browser: &Path,
        page_load: Duration,
        script: Duration,
    ) -> Result<String, String> {
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "webkitgtk:browserOptions": {
                        "binary": browser.display().to_string(),
                        "args": ["--automation"],
                    },
                    "timeouts": {
                        "pageLoad": millis(page_load),
                        "script": millis(script),
                    },
                },
            },
        });
        let value = self.call(reqwest::Method::POST, "/session", Some(capabilities))?;
        value["sessionId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no session id in {value}"))
    }

    /// Stops the driver and everything it started, and reaps it; what the driver wrote on
    /// stderr (once only).
    pub fn stop(&mut self) -> String {
        self.group.kill();
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .take()
            .and_then(|stderr| stderr.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A port of 127.0.0.1 that nothing listened on a moment ago.
fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("bind 127.0.0.1:0")
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
