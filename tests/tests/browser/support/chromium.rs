//! Headless Chromium, found on this machine and run bounded in time, never left running.

use std::env;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use server_timing_tests::tools;

use super::one_browser_at_a_time;
use super::process_group::{ProcessGroup, drain};

/// Set to `1` (CI does) to make a missing Chromium a test failure instead of a skip.
pub const REQUIRE_ENV: &str = "SERVER_TIMING_REQUIRE_CHROMIUM";

/// A Chromium binary to use instead of `chromium` on `PATH`.
pub const BINARY_ENV: &str = "CHROMIUM";

/// Longest one Chromium run may take before it is killed and the test fails.
const TIME_LIMIT: Duration = Duration::from_secs(60);

/// Virtual time a page gets: it only advances while no network request is pending, so the
/// page's fetches all complete inside it however slow the machine is.
const VIRTUAL_TIME_BUDGET_MS: u32 = 10_000;

/// Without the background flags Chromium's own connections (updates, sync, ...) are refused
/// on a closed network and slow every run down; as root it needs `--no-sandbox`.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
];

/// A Chromium binary that exists on this machine.
#[derive(Clone, Debug)]
pub struct Chromium {
    binary: PathBuf,
}

impl Chromium {
    /// The Chromium to test with. Where there is none, `test` is skipped with a loud message,
    /// or fails when [`REQUIRE_ENV`] is `1`.
    pub fn find(test: &str) -> Option<Chromium> {
        if let Some(binary) = tools::find(Some(BINARY_ENV), &["chromium"]) {
            return Some(Chromium { binary });
        }
        tools::skip(
            test,
            REQUIRE_ENV,
            &format!(
                "no Chromium found.\n\
                 Looked for ${BINARY_ENV} (a path to a binary) and `chromium` on PATH.\n\
                 Install it (Debian/Ubuntu: `apt-get install chromium`) to check the\n\
                 Server-Timing headers and the demo page in a real browser."
            ),
        );
        None
    }

    /// The DOM of `url` once its scripts have run and its fetches completed, serialized.
    pub fn dump_dom(&self, url: &str) -> String {
        let budget = format!("--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}");
        let run = self.run(&[&budget, "--dump-dom", url]);
        assert!(run.status.success(), "Chromium failed on {url}: {run}");
        run.stdout
    }

    /// A PNG screenshot of `url`, a window of `width` x `height` CSS pixels drawn at `scale`
    /// device pixels per CSS pixel, taken at its `load` event (in real time: a page that
    /// fetches after `load` must hold its `load` back until it is ready), written to `file`.
    pub fn screenshot(&self, url: &str, file: &Path, (width, height): (u32, u32), scale: f32) {
        let size = format!("--window-size={width},{height}");
        let scale = format!("--force-device-scale-factor={scale}");
        let target = format!("--screenshot={}", file.display());
        let run = self.run(&[&size, &scale, &target, url]);
        assert!(run.status.success(), "Chromium failed to screenshot {url}: {run}");
    }

    fn run(&self, args: &[&str]) -> Run {
        let _one = one_browser_at_a_time();
        let profile = TempDir::new("profile");
        let mut profile_flag = OsString::from("--user-data-dir=");
        profile_flag.push(profile.path());
        let mut child = Command::new(&self.binary)
            .args(FLAGS)
            .arg(profile_flag)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that the renderer, GPU and crashpad processes it
            // starts are killed with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        let group = ProcessGroup::of(&child);
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let status = wait_bounded(&mut child, &group);
        drop(group);
        Run {
            args: args.join(" "),
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        }
    }
}

/// `$CHROMIUM` if it names a file, else `chromium` on `PATH`.
/// Waits for `child`, killing its whole group when it overruns [`TIME_LIMIT`].
fn wait_bounded(child: &mut Child, group: &ProcessGroup) -> ExitStatus {
    let deadline = Instant::now() + TIME_LIMIT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                group.kill();
                let _ = child.kill();
                let _ = child.wait();
                panic!("Chromium did not finish within {TIME_LIMIT:?}: killed");
            }
            Err(e) => {
                group.kill();
                panic!("cannot wait for Chromium: {e}");
            }
        }
    }
}

/// What one Chromium run did.
struct Run {
    args: String,
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tail: Vec<&str> = self.stderr.lines().rev().take(20).collect();
        write!(
            f,
            "chromium {}: {}\n--- stderr (last lines) ---\n{}",
            self.args,
            self.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    }
}

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(purpose: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = env::temp_dir().join(format!(
            "server-timing-browser-{}-{}-{purpose}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
