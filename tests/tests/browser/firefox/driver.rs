//! Headless Firefox (Debian's `firefox-esr`), driven over WebDriver BiDi by puppeteer-core
//! from `tests/firefox/dump-dom.mjs`, run bounded in time.

use std::env;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use server_timing_tests::tools;

use crate::support::one_browser_at_a_time;
use crate::support::process_group::{ProcessGroup, drain};

/// Set to `1` (CI does) to make a missing Firefox, node or `npm ci` a test failure instead
/// of a skip.
pub const REQUIRE_ENV: &str = "SERVER_TIMING_REQUIRE_FIREFOX";

/// A Firefox binary to use instead of `firefox-esr` (or `firefox`) on `PATH`.
pub const BINARY_ENV: &str = "FIREFOX";

/// Longest one run may take before it is stopped and the test fails; the script gives up on
/// a page after 60 s itself, so this only catches a hung browser.
const TIME_LIMIT: Duration = Duration::from_secs(150);

/// The node project (puppeteer-core) that drives Firefox.
fn driver_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("firefox")
}

/// A Firefox, node and the driver's `node_modules`, all present on this machine.
#[derive(Clone, Debug)]
pub struct Firefox {
    binary: PathBuf,
    node: PathBuf,
}

impl Firefox {
    /// The Firefox to test with. Where something is missing, `test` is skipped with a loud
    /// message, or fails when [`REQUIRE_ENV`] is `1`.
    pub fn find(test: &str) -> Option<Firefox> {
        let binary = tools::find(Some(BINARY_ENV), &["firefox-esr", "firefox"]);
        let node = tools::find(None, &["node"]);
        let driver = driver_dir().join("node_modules/puppeteer-core/package.json");
        let missing = match (&binary, &node) {
            (None, _) => Some(format!(
                "no Firefox: looked for ${BINARY_ENV}, `firefox-esr` and `firefox` on PATH \
                 (Debian: `apt-get install firefox-esr`)"
            )),
            (_, None) => Some("no `node` on PATH (Debian: `apt-get install nodejs npm`)".to_owned()),
            _ if !driver.is_file() => Some(format!(
                "puppeteer-core is not installed: run `npm ci` in {}",
                driver_dir().display()
            )),
            _ => None,
        };
        let Some(missing) = missing else {
            return Some(Firefox {
                binary: binary?,
                node: node?,
            });
        };
        tools::skip(test, REQUIRE_ENV, &missing);
        None
    }

    /// The DOM of `url` once its `#report` element is filled in, serialized.
    pub fn dump_dom(&self, url: &str) -> String {
        let _one = one_browser_at_a_time();
        let mut child = Command::new(&self.node)
            .arg(driver_dir().join("dump-dom.mjs"))
            .arg(url)
            .arg(&self.binary)
            .current_dir(driver_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.node.display()));
        let group = ProcessGroup::of(&child);
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let deadline = Instant::now() + TIME_LIMIT;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                Ok(None) | Err(_) => {
                    // SIGTERM first: puppeteer closes the browser it started (in a session
                    // of its own) on it; then nothing is left to outlive the test.
                    group.signal("-TERM");
                    thread::sleep(Duration::from_secs(5));
                    group.kill();
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("Firefox did not finish {url} within {TIME_LIMIT:?}: stopped");
                }
            }
        };
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        assert!(
            status.success(),
            "Firefox on {url}: {status}\n--- stderr ---\n{stderr}"
        );
        stdout
    }
}
