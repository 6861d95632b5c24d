#!/usr/bin/env bash
# Every crate's doctests with rustdoc's merging made mandatory. `cargo test` silently falls
# back to one binary per doctest when the merged binary does not compile (an `include!` path
# relative to the source file, a crate attribute), and linking 170 binaries instead of one
# triples the test run. Here that fallback is an error that names the doctest.
set -euo pipefail
cd "$(dirname "$0")/.."

# `--merge-doctests` is unstable: it is allowed for rustdoc alone, so the compiled dependencies
# stay those of the ordinary test run.
wrapper="$(mktemp -d)"
trap 'rm -rf "$wrapper"' EXIT
printf '#!/bin/sh\nRUSTC_BOOTSTRAP=1 exec %s "$@"\n' "${RUSTDOC:-rustdoc}" > "$wrapper/rustdoc"
chmod +x "$wrapper/rustdoc"

RUSTDOC="$wrapper/rustdoc" RUSTDOCFLAGS="-Zunstable-options --merge-doctests=yes" \
  cargo test --doc --workspace --all-features
