#!/usr/bin/env bash
# The reliability jobs of CI, called by .ci/run:
#
#   scripts/ci-extra.sh setup   before the test suite: Debian's firefox-esr and the node
#                               driver (`npm ci` in tests/firefox), so that the Firefox tests
#                               (`--test browser firefox::`) run (CI makes a missing one a
#                               failure with SERVER_TIMING_REQUIRE_FIREFOX=1)
#   scripts/ci-extra.sh run     after it: every fuzz target for FUZZ_SECONDS (45) from the
#                               committed corpus, so a regression in a parser, the writer or
#                               the macro is caught; the soak with SOAK_REQUESTS (40,000) on the
#                               dev build the test suite made; and, with ASAN=1, the test suite
#                               under AddressSanitizer (scripts/asan.sh)
#
# Times on the 2-core CI machine: setup about 1 minute (packages), the fuzz build about
# 7 minutes and the runs 5 x FUZZ_SECONDS (.ci/run: 30 s), the soak under a minute. The ASan
# job builds the whole workspace a second time, instrumented: 10 minutes from scratch (see
# scripts/asan.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

setup() {
  if ! command -v firefox-esr >/dev/null 2>&1 && ! command -v firefox >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null
  fi
  if [ ! -x /usr/bin/time ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
  fi
  if ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  (cd tests/firefox && npm ci --no-audit --no-fund --loglevel=error)
}

run() {
  scripts/fuzz.sh "${FUZZ_SECONDS:-45}"
  PROFILE=dev SOAK_SECONDS=240 scripts/soak.sh "${SOAK_REQUESTS:-40000}"
  if [ "${ASAN:-0}" = 1 ]; then
    scripts/asan.sh
  fi
}

case "${1:-}" in
  setup) setup ;;
  run) run ;;
  *)
    echo "usage: scripts/ci-extra.sh setup|run" >&2
    exit 64
    ;;
esac
