//! `opentelemetry_cost`, which `scripts/callgrind.sh` counts the instructions of, runs both
//! variants the script asks for (each first checks that its requests take their ids from the
//! span, so a broken OpenTelemetry path fails here instead of being counted as the headers'
//! path) and refuses what it does not know: CI does not run the script, so this is what keeps
//! its numbers reproducible.

use std::process::{Command, ExitStatus};

fn opentelemetry_cost(args: &[&str]) -> ExitStatus {
    Command::new(env!("CARGO_BIN_EXE_opentelemetry_cost"))
        .args(args)
        .status()
        .expect("opentelemetry_cost starts")
}

#[test]
fn both_variants_the_script_counts_run() {
    for variant in ["on", "off"] {
        assert!(opentelemetry_cost(&[variant, "100"]).success(), "{variant}");
    }
}

#[test]
fn an_unknown_variant_or_count_is_a_usage_error() {
    for args in [&["fresh", "100"][..], &["on", "many"], &["on"], &[]] {
        assert_eq!(opentelemetry_cost(args).code(), Some(2), "{args:?}");
    }
}
