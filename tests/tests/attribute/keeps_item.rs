//! The annotated fn keeps its attributes, doc comments and visibility: only its body changes.
#![deny(missing_docs)]

use std::panic::Location;

use server_timing_runtime::{Timings, server_timing};

/// Handlers.
pub mod service {
    use server_timing_runtime::server_timing;

    /// Callable outside this module only if the attribute keeps `pub(crate)`.
    #[server_timing]
    pub(crate) fn handle() -> u32 {
        1
    }

    /// Public: `missing_docs` (denied above) fails the build if the attribute drops this.
    #[server_timing]
    #[must_use]
    pub fn public() -> u32 {
        2
    }
}

/// Reports its caller's line: only with `#[track_caller]` kept through the expansion.
#[server_timing]
#[track_caller]
fn caller_line() -> u32 {
    Location::caller().line()
}

// Two definitions of one name: without the kept `#[cfg]`, a duplicate-definition error.
#[server_timing]
#[cfg(not(test))]
fn configured() -> &'static str {
    "compiled out"
}

#[server_timing]
#[cfg(test)]
fn configured() -> &'static str {
    "compiled in"
}

#[test]
fn attributes_and_visibility_are_kept() {
    let timings = Timings::new();
    timings.sync_scope(|| {
        let line = line!() + 1;
        let reported = caller_line();
        assert_eq!(reported, line);
        assert_eq!(service::handle() + service::public(), 3);
        assert_eq!(configured(), "compiled in");
    });
    let names: Vec<_> = timings.metrics().iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(names, ["caller_line", "handle", "public", "configured"]);
}
