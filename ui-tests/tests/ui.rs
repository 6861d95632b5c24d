//! The `#[server_timing]` ui suite: what compiles (and runs), and the one error each misuse gets.
//! Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p server-timing-ui-tests --test ui` (see `ui/README.md`).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
