#!/usr/bin/env bash
# Installs the browser side of the RUM SDK tests, exactly as pinned in each package's
# package-lock.json, into its node_modules:
# - tests/rum (tests/tests/browser/rum.rs, `cargo test -p server-timing-tests --test browser
#   rum::`): Grafana Faro's web SDK, its tracing package and esbuild;
# - tests/sentry (tests/tests/browser/sentry.rs, `... --test browser sentry::`): Sentry's
#   browser SDK (@sentry/browser) and esbuild.
# Without them those tests skip (or fail under SERVER_TIMING_REQUIRE_CHROMIUM=1, as in CI).
# The packages come from the npm registry here, once; the tests themselves bundle them
# locally and fetch nothing but from their loopback servers.
#
# No install scripts run: esbuild's binary comes in its platform package
# (@esbuild/<os>-<arch>), which `npm ci` installs as an optional dependency.
set -euo pipefail
cd "$(dirname "$0")/../tests"

if ! command -v npm >/dev/null 2>&1; then
  echo "rum-setup: npm is missing (Debian/Ubuntu: apt-get install nodejs npm)" >&2
  exit 1
fi

for package in rum sentry; do
  (
    cd "$package"
    npm ci --ignore-scripts --no-audit --no-fund
    ./node_modules/.bin/esbuild --version >/dev/null
    echo "rum-setup: tests/$package/node_modules ready (esbuild $(./node_modules/.bin/esbuild --version))"
  )
done
