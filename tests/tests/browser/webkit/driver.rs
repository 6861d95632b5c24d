//! WebKit (WebKitGTK's MiniBrowser, Debian's `webkit2gtk-driver`), driven over W3C WebDriver
//! by `WebKitWebDriver` under Xvfb. Each page is loaded by a browser, driver and display of
//! its own, all stopped within a bound when the page is read, or when reading it fails.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use server_timing_tests::tools;

use super::webdriver::Driver;
use super::xvfb::Xvfb;
use crate::support::one_browser_at_a_time;

/// Set to `1` (CI does) to make a missing WebKitWebDriver, MiniBrowser or Xvfb a test
/// failure instead of a skip.
pub const REQUIRE_ENV: &str = "SERVER_TIMING_REQUIRE_WEBKIT";

/// A WebKitWebDriver binary to use instead of `WebKitWebDriver` on `PATH`.
pub const DRIVER_ENV: &str = "WEBKIT_WEBDRIVER";

/// A WebKitGTK browser to drive instead of the MiniBrowser that `libwebkit2gtk-4.1` ships.
pub const BROWSER_ENV: &str = "WEBKIT_BROWSER";

/// Where WebKitGTK's packages put MiniBrowser, under `/usr/lib` (Debian's multiarch
/// directories) or `/usr/libexec`.
const BROWSER_DIRS: &[&str] = &["webkit2gtk-4.1", "webkit2gtk-4.0", "webkitgtk-6.0"];

/// Longest the page may take to reach its `load` event.
const PAGE_LOAD_LIMIT: Duration = Duration::from_secs(60);

/// Longest the page's report may take to be written after `load`.
const REPORT_LIMIT: Duration = Duration::from_secs(60);

/// Longest one script run in the page may take.
const SCRIPT_LIMIT: Duration = Duration::from_secs(10);

/// WebKitWebDriver, a WebKitGTK browser and Xvfb, all present on this machine.
#[derive(Clone, Debug)]
pub struct WebKit {
    driver: PathBuf,
    browser: PathBuf,
    xvfb: PathBuf,
}

impl WebKit {
    /// The WebKit to test with. Where something is missing, `test` is skipped with a loud
    /// message, or fails when [`REQUIRE_ENV`] is `1`.
    pub fn find(test: &str) -> Option<WebKit> {
        let driver = tools::find(Some(DRIVER_ENV), &["WebKitWebDriver"]);
        let browser = tools::find(Some(BROWSER_ENV), &[]).or_else(minibrowser);
        let xvfb = tools::find(None, &["Xvfb"]);
        let missing = match (&driver, &browser, &xvfb) {
            (None, _, _) => format!(
                "no WebKitWebDriver: looked for ${DRIVER_ENV} and `WebKitWebDriver` on PATH \
                 (Debian: `apt-get install webkit2gtk-driver`)"
            ),
            (_, None, _) => format!(
                "no MiniBrowser: looked for ${BROWSER_ENV} and MiniBrowser in /usr/lib/*/{{{}}} \
                 and /usr/libexec (Debian: `apt-get install libwebkit2gtk-4.1-0`)",
                BROWSER_DIRS.join(",")
            ),
            (_, _, None) => "no `Xvfb` on PATH (Debian: `apt-get install xvfb`)".to_owned(),
            (Some(driver), Some(browser), Some(xvfb)) => {
                return Some(WebKit {
                    driver: driver.clone(),
                    browser: browser.clone(),
                    xvfb: xvfb.clone(),
                });
            }
        };
        tools::skip(test, REQUIRE_ENV, &missing);
        None
    }

    /// The DOM of `url` once its `#report` element is filled in, serialized.
    pub fn dump_dom(&self, url: &str) -> String {
        let _one = one_browser_at_a_time();
        // Dropped in reverse order: the driver and its browser first, then their display.
        let display = Xvfb::start(&self.xvfb);
        let mut driver = Driver::start(&self.driver, display.display());
        let dom = driver
            .new_session(&self.browser, PAGE_LOAD_LIMIT, SCRIPT_LIMIT)
            .map_err(|e| format!("no session in {}: {e}", self.browser.display()))
            .and_then(|session| {
                let dom = read_page(&driver, &session, url);
                // Closes the browser; the driver's process group is killed after it anyway.
                let _ = driver.call(reqwest::Method::DELETE, &format!("/session/{session}"), None);
                dom
            });
        dom.unwrap_or_else(|e| {
            let stderr = driver.stop();
            let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!(
                "WebKit on {url}: {e}\n--- WebKitWebDriver's stderr (last lines) ---\n{}",
                tail.join("\n")
            )
        })
    }
}

/// Navigates `session` to `url`, waits for its report, and returns the page source.
fn read_page(driver: &Driver, session: &str, url: &str) -> Result<String, String> {
    let post = reqwest::Method::POST;
    let command = |path: &str| format!("/session/{session}{path}");
    driver.call(post.clone(), &command("/url"), Some(json!({ "url": url })))?;
    let report = json!({
        "script": r#"const r = document.getElementById("report"); return r ? r.textContent : "PENDING";"#,
        "args": [],
    });
    let deadline = Instant::now() + REPORT_LIMIT;
    loop {
        let text = driver.call(post.clone(), &command("/execute/sync"), Some(report.clone()))?;
        if text.as_str() != Some("PENDING") {
            break;
        }
        if Instant::now() >= deadline {
            return Err(format!("the report was still pending after {REPORT_LIMIT:?}"));
        }
        thread::sleep(Duration::from_millis(100));
    }
    let source = driver.call(reqwest::Method::GET, &command("/source"), None)?;
    source
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("the page source is not a string: {source}"))
}

/// MiniBrowser where WebKitGTK's packages install it.
fn minibrowser() -> Option<PathBuf> {
    let lib = Path::new("/usr/lib");
    let arch_dirs = std::fs::read_dir(lib)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path());
    let roots: Vec<PathBuf> = [lib.to_path_buf(), PathBuf::from("/usr/libexec")]
        .into_iter()
        .chain(arch_dirs)
        .collect();
    roots.iter().find_map(|root| {
        BROWSER_DIRS
            .iter()
            .map(|dir| root.join(dir).join("MiniBrowser"))
            .find(|candidate| tools::is_executable(candidate))
    })
}
