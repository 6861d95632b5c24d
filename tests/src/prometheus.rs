//! Reading Prometheus text back: `promtool check metrics` (Debian's `prometheus` package;
//! skipped loudly without it, a failure with `SERVER_TIMING_REQUIRE_PROMTOOL=1` as in CI) and
//! the samples, by name and labels.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// `name{labels} value` lines of the exposition text, by name and sorted label text.
pub fn samples(text: &str) -> BTreeMap<(String, String), f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("`series value`");
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            let mut labels: Vec<&str> = labels.split(',').filter(|l| !l.is_empty()).collect();
            labels.sort_unstable();
            let value = value.parse().unwrap_or_else(|_| panic!("a number in {line:?}"));
            ((name.to_owned(), labels.join(",")), value)
        })
        .collect()
}

/// Fail unless `promtool check metrics` accepts `text` (a loud skip where promtool is missing).
pub fn promtool_check(text: &str) {
    let Some(promtool) = crate::tools::find(None, &["promtool"]) else {
        // The test harness names each test's thread after the test.
        let thread = std::thread::current();
        crate::tools::skip(
            thread.name().unwrap_or("promtool check metrics"),
            "SERVER_TIMING_REQUIRE_PROMTOOL",
            "promtool not found on PATH.\n`apt-get install prometheus` to run this check.",
        );
        return;
    };
    let mut child = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", promtool.display()));
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
