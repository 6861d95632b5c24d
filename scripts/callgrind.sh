#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind), which unlike times repeat exactly from one
# run to the next on a shared machine:
#
# - per timed call inside a scope (examples/src/bin/call_cost.rs): a `#[server_timing]` sync
#   fn and async fn, beyond the clock pair any timing needs (and, for the async fn, beyond the
#   same async fn without the attribute);
# - per `tracing` span with a `server_timing` field in a request (created, entered, exited,
#   closed): what `server_timing_runtime::tracing::layer()` adds to the registry alone;
# - per request on the collector with trace context (as the `trace_context` bench runs it):
#   a fresh trace, an incoming `traceparent`, and one with a `tracestate`, over the same
#   request without trace context, beside the two header lookups alone (the floor of any
#   reading of an incoming trace context); and, inside a span of a real `tracing-opentelemetry`
#   layer (tests/src/bin/opentelemetry_cost.rs, the only one built with the `opentelemetry`
#   feature), ids from OpenTelemetry over the same request in the span without trace context;
# - per whole request (examples/src/bin/load_app.rs): what the actix middleware adds to one
#   keep-alive request of `/trivial` (5 timed calls), with against without.
#
# Each figure is the difference between a run of N and one of 3N calls or requests over 2N,
# so that start-up cancels out. Instructions are not time: a clock read is few instructions
# but slow, so ratios to the clock are read from the criterion benches. A change of code
# layout elsewhere (inlining decisions) moves a per-call figure by up to about 15.
#
# Usage: scripts/callgrind.sh [N]     (N = 1000; about a minute)
# Needs valgrind and curl (apt-get install valgrind curl).
set -euo pipefail
cd "$(dirname "$0")/.."

n="${1:-1000}"
for tool in valgrind curl; do
    command -v "$tool" >/dev/null || { echo "callgrind.sh: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done
# Without the recipe's OpenTelemetry (the examples' default feature `services`): the
# OpenTelemetry figure is `opentelemetry_cost`'s.
cargo build --release --quiet -p server-timing-examples --no-default-features --bin call_cost --bin load_app
# The benches' profile: its dependencies are the ones `cargo bench` has built already.
cargo build --profile bench --quiet -p server-timing-tests --bin opentelemetry_cost
bin=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Instructions of one callgrind run of the command given.
count() {
    valgrind --tool=callgrind --callgrind-out-file="$work/out" "$@" >/dev/null 2>"$work/err"
    grep -E "^(summary|totals):" "$work/out" | head -1 | awk '{print $2}'
}

# Instructions of one call of a variant of a program (call_cost unless named).
per_call() {
    local program=${2:-call_cost} low high
    low=$(count "$bin/$program" "$1" "$n")
    high=$(count "$bin/$program" "$1" $((3 * n)))
    echo $(((high - low) / (2 * n)))
}

# Instructions of a load_app run serving `count` /trivial requests on one variant's port.
serve() {
    local variant=$1 requests=$2 pid addr
    valgrind --tool=callgrind --callgrind-out-file="$work/serve.out" "$bin/load_app" serve --work-iters 10 \
        >"$work/log" 2>"$work/err" &
    pid=$!
    for _ in $(seq 600); do
        grep -q "$variant listening" "$work/log" 2>/dev/null && break
        sleep 0.1
    done
    addr=$(grep "$variant listening" "$work/log" | awk '{print $NF}')
    [ -n "$addr" ] || { echo "callgrind.sh: load_app did not start:" >&2; cat "$work/err" >&2; exit 1; }
    curl -s $(for _ in $(seq "$requests"); do echo -n "http://$addr/trivial "; done) >/dev/null
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    grep -E "^(summary|totals):" "$work/serve.out" | head -1 | awk '{print $2}'
}

per_request() {
    local low high
    low=$(serve "$1" "$n")
    high=$(serve "$1" $((3 * n)))
    echo $(((high - low) / (2 * n)))
}

pair=$(per_call pair)
sync=$(per_call sync)
async=$(per_call async)
plain=$(per_call plain-async)
registry=$(per_call span-registry)
layer=$(per_call span-layer)
trace_off=$(per_call trace-off)
trace_lookups=$(per_call trace-lookups)
trace_fresh=$(per_call trace-fresh)
trace_parent=$(per_call trace-traceparent)
trace_state=$(per_call trace-tracestate)
span_off=$(per_call off opentelemetry_cost)
span_on=$(per_call on opentelemetry_cost)
with=$(per_request with)
without=$(per_request without)
echo "per call in a scope: clock pair $pair instructions; #[server_timing] sync fn $sync (+$((sync - pair))), async fn $async (+$((async - plain - pair)) beyond the pair and the plain async fn's $plain)"
echo "per selected tracing span in a request: registry alone $registry, with the layer $layer: the layer adds $((layer - registry))"
echo "per request with trace context, over $trace_off without: fresh +$((trace_fresh - trace_off)), incoming traceparent +$((trace_parent - trace_off)), with tracestate +$((trace_state - trace_off)); the two header lookups alone +$((trace_lookups - trace_off))"
echo "per request in a tracing-opentelemetry span, over $span_off without trace context: ids from OpenTelemetry +$((span_on - span_off))"
echo "per /trivial request: with the middleware $with, without $without: the middleware adds $((with - without))"
