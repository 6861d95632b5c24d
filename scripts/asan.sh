#!/usr/bin/env bash
# The whole test suite under AddressSanitizer (with LeakSanitizer), on the stable toolchain.
#
# RUSTC_BOOTSTRAP=1 lets stable accept -Zsanitizer=address. An explicit --target keeps the
# flags off build scripts and proc-macros (which the compiler itself loads, uninstrumented).
# The build goes to its own target directory, target/asan, so it never invalidates the normal
# one. Not run: doc-tests (rustdoc would need the same flags and a second build of
# everything for examples that only show usage) and the trybuild `ui` suite (it compiles
# fixtures with a nested cargo, not instrumented code of ours). The browser tests run when
# Chromium / Firefox are there, as in the normal suite.
#
# Leaks fail the run. scripts/lsan.supp holds the leaks no test can avoid, each with why
# (today one: actix-router's deliberate leak of route parameter names, once per worker).
#
# Usage: scripts/asan.sh [extra cargo test arguments, e.g. --test hardening]
# Measured from an empty target/asan on the quiet 2-core machine: 8 minutes to build, 2 to run
# (10m11s in all; a loaded machine took 30 and 8). That fits CI's time as a job of its own, but
# not on top of .ci/run's other 18 minutes (cold) within its 30, so .ci/run runs it only with
# ASAN=1 (scripts/ci-extra.sh). The time-bounded tests allow for a sanitizer build's slowness
# (the hardening load test's cap is 300 s; the cancelled-future tests wait on futures that never finish
# by themselves).
set -euo pipefail
cd "$(dirname "$0")/.."

triple="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-Zsanitizer=address ${RUSTFLAGS:-}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/asan}"
# Tests that measure the process's memory (RSS) know from this that ASan's quarantine holds
# freed memory; they keep their checks of the live heap.
export SERVER_TIMING_SANITIZER=address
# detect_odr_violation=1: report a global defined twice only when the two sizes differ. The
# bundled SQLite (libsqlite3-sys builds its C with -fsanitize=address under an ASan build) has
# two function-local `static const aiOff[]` tables of one name and size, which the default
# (2, any duplicate name) reports as a violation although they are separate objects.
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:detect_odr_violation=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

cargo test --workspace --all-features --target "$triple" --no-fail-fast --lib --bins --tests "$@" -- --exact --skip ui
