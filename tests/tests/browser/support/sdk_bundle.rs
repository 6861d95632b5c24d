//! A RUM SDK's page script: `tests/<package>/<package>.js` and the SDK it imports, bundled by
//! esbuild from that folder's npm packages (installed from its lock file by
//! `scripts/rum-setup.sh`).

use std::path::Path;
use std::process::{Command, Stdio};

use server_timing_tests::tools;

use crate::support::chromium::REQUIRE_ENV;

/// The bundle of `package`'s script, written under `out`, or `None` (after a loud message, or
/// a failure under [`REQUIRE_ENV`]) when its npm packages, `sdk` among them, are not installed.
pub fn bundle(test: &str, package: &str, sdk: &str, out: &Path) -> Option<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(package);
    let esbuild = dir.join("node_modules/.bin/esbuild");
    if !esbuild.exists() {
        tools::skip(
            test,
            REQUIRE_ENV,
            &format!(
                "tests/{package}/node_modules is missing.\n\
                 Run scripts/rum-setup.sh (`npm ci` in tests/{package}) to install {sdk}\n\
                 and esbuild from the lock file."
            ),
        );
        return None;
    }
    let file = out.join(format!("{package}.js"));
    let status = Command::new(&esbuild)
        .current_dir(&dir)
        .args([
            &format!("{package}.js"),
            "--bundle",
            "--format=iife",
            "--target=es2020",
            "--log-level=warning",
        ])
        .arg(format!("--outfile={}", file.display()))
        .stdin(Stdio::null())
        .status()
        .expect("esbuild runs");
    assert!(status.success(), "esbuild failed: {status}");
    Some(std::fs::read_to_string(&file).expect("the bundle"))
}
