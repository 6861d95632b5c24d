#!/usr/bin/env bash
# The soak: REQUESTS requests (default 1,000,000, about 45 s) on loopback against both
# adapters at once (actix-web with actix::ServerTiming, axum with tower::ServerTimingLayer), one process
# (tests/src/bin/soak.rs), 64 in flight, with handler panics, client resets (RST), clients
# that give up, and calls cut off by a timeout mixed in, and the integrations on: trace
# context, a `tracing` span per request, an outgoing reqwest call in every tenth, and an
# `on_complete` hook checking each request's metrics and feeding Prometheus histograms. It
# fails on any lost or mixed metric or trace, any unexpected failure, a hook that missed or
# misread a request, or resident memory growing more than 10% after the warm-up.
#
# Usage: scripts/soak.sh [REQUESTS]
# Environment: PROFILE (release; CI uses dev, which it has built already), SOAK_SECONDS
# (time cap, 300), SOAK_CONCURRENCY (64).
set -euo pipefail
cd "$(dirname "$0")/.."

requests="${1:-1000000}"
cargo run --quiet --profile "${PROFILE:-release}" -p server-timing-tests --bin soak -- "$requests"
