//! Tools a test needs beyond the Rust toolchain (a browser, node, promtool, npm packages):
//! finding them, and saying loudly when a test cannot run without one.

use std::env;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The executable named by the environment variable `binary_env` if it is one, else the first
/// of `names` on `PATH`.
pub fn find(binary_env: Option<&str>, names: &[&str]) -> Option<PathBuf> {
    let given = binary_env
        .and_then(env::var_os)
        .map(PathBuf::from)
        .filter(|binary| is_executable(binary));
    given.or_else(|| {
        let path = env::var_os("PATH")?;
        names.iter().find_map(|name| {
            env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|candidate| is_executable(candidate))
        })
    })
}

/// Whether `path` is a file that may be run.
pub fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `test` cannot run: `missing` says what is missing and how to get it (one or more lines).
/// A banner on the process's stderr, or a failure when `require_env` is `1` (CI sets it).
pub fn skip(test: &str, require_env: &str, missing: &str) {
    let required = env::var_os(require_env).is_some_and(|v| v == "1");
    let banner = "!".repeat(78);
    let verdict = if required { "FAILED" } else { "SKIPPED" };
    let mut lines = missing.lines();
    let mut message = format!(
        "{banner}\n!! test `{test}` {verdict}: {}\n",
        lines.next().unwrap_or("")
    );
    for line in lines {
        message.push_str(&format!("!! {line}\n"));
    }
    message.push_str(&format!(
        "!! {require_env}=1 turns this skip into a failure (CI sets it).\n{banner}"
    ));
    assert!(!required, "{message}");
    // Straight to the process's stderr: the test harness captures `eprintln!` of a test that
    // passes, and a skip must be seen.
    let _ = writeln!(std::io::stderr().lock(), "{message}");
}
