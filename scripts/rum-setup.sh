#!/usr/bin/env bash
# Installs the browser side of the RUM test (tests/tests/browser/rum.rs, `cargo test -p
# server-timing-tests --test browser rum::`): Grafana Faro's web SDK, its tracing
# package and esbuild, exactly as pinned in tests/rum/package-lock.json, into
# tests/rum/node_modules. Without it that test skips (or fails under
# SERVER_TIMING_REQUIRE_CHROMIUM=1, as in CI). The packages come from the npm registry here,
# once; the test itself bundles them locally and fetches nothing but from its loopback server.
#
# No install scripts run: esbuild's binary comes in its platform package
# (@esbuild/<os>-<arch>), which `npm ci` installs as an optional dependency.
set -euo pipefail
cd "$(dirname "$0")/../tests/rum"

if ! command -v npm >/dev/null 2>&1; then
  echo "rum-setup: npm is missing (Debian/Ubuntu: apt-get install nodejs npm)" >&2
  exit 1
fi

npm ci --ignore-scripts --no-audit --no-fund
./node_modules/.bin/esbuild --version >/dev/null
echo "rum-setup: tests/rum/node_modules ready (esbuild $(./node_modules/.bin/esbuild --version))"
