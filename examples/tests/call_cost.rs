//! `call_cost`, which `scripts/callgrind.sh` counts the instructions of, runs every variant
//! the script asks for, and refuses what it does not know: CI does not run the script, so
//! this is what keeps its numbers reproducible.

use std::process::Command;

fn call_cost(args: &[&str]) -> std::process::ExitStatus {
    Command::new(env!("CARGO_BIN_EXE_call_cost"))
        .args(args)
        .status()
        .expect("call_cost starts")
}

#[test]
fn every_variant_the_script_counts_runs() {
    for variant in [
        "pair",
        "sync",
        "async",
        "plain-async",
        "span-registry",
        "span-layer",
        "trace-off",
        "trace-lookups",
        "trace-fresh",
        "trace-traceparent",
        "trace-tracestate",
    ] {
        assert!(call_cost(&[variant, "100"]).success(), "{variant}");
    }
}

#[test]
fn an_unknown_variant_or_count_is_a_usage_error() {
    for args in [&["trace-bogus", "100"][..], &["sync", "many"], &["sync"], &[]] {
        assert_eq!(call_cost(args).code(), Some(2), "{args:?}");
    }
}
