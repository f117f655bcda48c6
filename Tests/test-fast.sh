#!/usr/bin/env bash
# `make test-fast`: the tests not tagged processes, python or browser (TRIBUTARY_FAST=1 skips those),
# on an already built package, split into shards that run side by side.
#
# Why shards: most of the fast tests wait (a consumer group's first join on the embedded broker takes
# 3 s, a rebalance takes the session timeout) rather than compute, and some suites are .serialized,
# so one process spends most of its time idle on its longest serialized suite. Each shard runs the
# built test binary (what `swift test --skip-build` runs; SwiftPM itself would make the shards wait
# for each other's lock on .build) with `--filter` over every Nth test of the list, so a serialized
# suite's tests spread over the shards. TRIBUTARY_FAST_SHARDS sets N (default 4).
set -euo pipefail
cd "$(dirname "$0")/.."
shards=${TRIBUTARY_FAST_SHARDS:-4}
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "TRIBUTARY_FAST_SHARDS=$shards is not a positive whole number" >&2; exit 2; }
logs=$(mktemp -d "${TMPDIR:-/tmp}/tributary-test-fast.XXXXXX")
start=$(date +%s)

binary="$(swift build --show-bin-path)/TributaryPackageTests.xctest"
[ -x "$binary" ] || { echo "$binary is missing: build first (swift build --build-tests)" >&2; exit 1; }
export NO_COLOR=1 TRIBUTARY_FAST=1
"$binary" --testing-library swift-testing --list-tests 2>"$logs/list.err" | grep -E '^[A-Za-z0-9_]+\.[^ ]+$' > "$logs/tests" || {
  cat "$logs/list.err" >&2; echo "listing the tests failed" >&2; exit 1; }
total=$(wc -l < "$logs/tests")
[ "$total" -gt 0 ] || { echo "swift test list found no tests" >&2; exit 1; }

# Every Nth test into shard i, as one regular expression of the escaped test ids.
pids=()
for ((i = 0; i < shards; i++)); do
  filter=$(awk -v n="$shards" -v i="$i" 'NR % n == i' "$logs/tests" | sed 's/[][\.*^$()+?{}|]/\\&/g' | paste -sd '|')
  [ -n "$filter" ] || continue
  "$binary" --testing-library swift-testing --filter "$filter" > "$logs/shard-$i.log" 2>&1 &
  pids+=("$i:$!")
done

failed=0
for entry in "${pids[@]}"; do
  i=${entry%%:*}
  if wait "${entry#*:}"; then
    grep -E '^✔ Test run with' "$logs/shard-$i.log" | sed "s/^/shard $i: /" || true
  else
    failed=1
    echo "shard $i FAILED; its output ($logs/shard-$i.log):"
    cat "$logs/shard-$i.log"
  fi
done
skipped=$(cat "$logs"/shard-*.log | grep -c '^➜ Test .* skipped' || true)
echo "make test-fast: $total tests listed ($skipped skipped: tagged processes, python or browser), $shards shards, $(( $(date +%s) - start )) s"
[ "$failed" = 0 ] && rm -rf "$logs"
exit "$failed"
