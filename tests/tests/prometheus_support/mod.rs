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
    let required = std::env::var("SERVER_TIMING_REQUIRE_PROMTOOL").is_ok_and(|v| v == "1");
    let spawned = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) if !required => {
            eprintln!(
                "\n*** SKIPPED: promtool not found ({error}); `apt-get install prometheus` to run \
                 this check (SERVER_TIMING_REQUIRE_PROMTOOL=1 makes this a failure) ***\n"
            );
            return;
        }
        Err(error) => panic!("promtool is required (SERVER_TIMING_REQUIRE_PROMTOOL=1): {error}"),
    };
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
