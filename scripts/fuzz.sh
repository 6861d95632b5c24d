#!/usr/bin/env bash
# Run every cargo-fuzz target in fuzz/ for a bounded time, one after the other, on the stable
# toolchain, and print a summary (executions, coverage, corpus) per target.
#
# cargo-fuzz needs nightly flags (-Zsanitizer, sancov passes); RUSTC_BOOTSTRAP=1 lets the
# stable compiler accept them, so no second toolchain is needed. Targets build with
# AddressSanitizer (cargo-fuzz's default) and debug assertions, so overflow checks also fire.
#
# Each target starts from the committed seed corpus fuzz/corpus/<target>/ (small, minimized)
# and writes what it finds into a working corpus under fuzz/target/corpus/<target>/ (not
# committed), so runs build on each other without growing the repository. MINIMIZE=1 merges
# the working corpus back into fuzz/corpus/<target>/ with libFuzzer's -merge=1, keeping only
# inputs that add coverage (and every regression-* input, a past finding kept by name): do
# that after a long run, then commit the corpus.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 60; every target when none is named (`cargo fuzz list`)
# Environment: MINIMIZE (0), MIN_CPU_SECONDS (0: one run of SECONDS_PER_TARGET), FUZZ_ARGS
# (extra libFuzzer flags, e.g. "-max_len=512"). Needs /usr/bin/time (Debian: `time`).
# Exits non-zero when a target crashes; the input is in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-60}"
shift || true
export RUSTC_BOOTSTRAP=1
if [ ! -x /usr/bin/time ]; then
  echo "fuzz.sh: needs /usr/bin/time to count CPU time (Debian: apt-get install time)" >&2
  exit 1
fi

if ! cargo fuzz --help >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked --quiet
fi

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

# One build of all targets first, so the time limit is all fuzzing.
cargo fuzz build --debug-assertions

summary=()
status=0
for target in "${targets[@]}"; do
  seeds="corpus/$target"
  work="target/corpus/$target"
  mkdir -p "$seeds" "$work" "artifacts/$target"
  log="target/fuzz-$target.log"
  echo "fuzz.sh: $target for ${seconds}s (log: fuzz/$log)" >&2
  # libFuzzer's time limit is wall time; on a shared machine a run may get a fraction of a
  # core, so with MIN_CPU_SECONDS the target runs again (on its working corpus) until its
  # CPU time adds up to that.
  result=ok
  runs=0
  cpu=0
  rounds=0
  while :; do
    rounds=$((rounds + 1))
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
    if ! /usr/bin/time -f '%U %S' -o "target/cpu-$target" \
      cargo fuzz run --debug-assertions "$target" "$work" "$seeds" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      ${FUZZ_ARGS:-} >"$log" 2>&1; then
      result="CRASH (see fuzz/$log and fuzz/artifacts/$target/)"
      status=1
      tail -n 40 "$log" >&2
    fi
    round_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    runs=$((runs + ${round_runs:-0}))
    cpu=$(awk -v before="$cpu" '{ printf "%d", before + $1 + $2 }' "target/cpu-$target")
    if [ "$result" != ok ] || [ "$cpu" -ge "${MIN_CPU_SECONDS:-0}" ]; then
      break
    fi
  done
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -n 1 || true)
  summary+=("$(printf '%-14s %-6s %12s runs, %d x %ss wall, %ss CPU  %s' "$target" "$result" "$runs" \
    "$rounds" "$seconds" "$cpu" "$cov")")

  if [ "${MINIMIZE:-0}" = 1 ]; then
    merged="target/corpus/$target.min"
    rm -rf "$merged" && mkdir -p "$merged"
    cargo fuzz run --debug-assertions "$target" "$merged" "$seeds" "$work" -- -merge=1 \
      >"target/merge-$target.log" 2>&1
    # Named inputs (regression-*: a past finding) stay whatever coverage they add.
    find "$seeds" -maxdepth 1 -name 'regression-*' -exec cp {} "$merged/" \;
    rm -rf "$seeds" && mv "$merged" "$seeds"
    echo "fuzz.sh: $target corpus minimized to $(find "$seeds" -type f | wc -l) inputs" >&2
  fi
done

echo "fuzz summary (target, result, executions, final libFuzzer coverage line):"
printf '  %s\n' "${summary[@]}"
exit "$status"
