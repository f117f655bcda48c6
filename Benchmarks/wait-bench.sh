#!/usr/bin/env bash
# Waiting runs: <count> runs (100,000 by default) that each wait <seconds> (1 s) and resume, on one
# runner, beside that runner's plain throughput on as many events of a trivial job, on the same
# embedded broker in the same run.
#   Benchmarks/wait-bench.sh [count] [seconds]
# Each waiting run writes five records to <p>.runs (started, its wait, waiting with its event,
# resumed, succeeded: about 3 KB), 300 MB for 100,000 runs, more than the embedded broker keeps
# (about 5 MB a partition): the waits are measured in the runner's process, not by reading <p>.runs
# back. The plain throughput is measured from <p>.runs (two small records a run) on its own prefix.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-100000}
WAIT=${2:-1}
PARTITIONS=${PARTITIONS:-12}
. Benchmarks/embedded-broker.sh
echo "embedded broker (tributary broker), $PARTITIONS partitions, one runner; $(nproc) cores"
start_broker benchwaits
echo "  $($BENCH produce "$BOOT" benchwaits "$COUNT")"
# `concurrent`: the job's runs of a partition overlap; ORDERED=1: one after another in lanes. A lane
# used to take its next event only once a run's waiting record was acknowledged, about 140 runs/s
# on twelve lanes of the embedded broker (a produce batch spanning more than five partitions takes
# about 44 ms there); the record is now handed to the writer and the lane goes on: ORDERED=1 with
# 10,000 runs suspended 2,554/s beside 7,616 plain runs/s in the same run (2026-12-02, a build beside it).
MODE=concurrent; [ "${ORDERED:-0}" = 1 ] && MODE=ordered
echo "  waiting runs ($MODE): $($BENCH waits "$BOOT" benchwaits "$COUNT" "$WAIT" "$MODE")"
kill "${PIDS[@]}" 2>/dev/null || true; PIDS=()
# The same runner's plain throughput: a trivial job on 50,000 events (what <p>.runs holds whole).
PLAIN=$(( COUNT < 50000 ? COUNT : 50000 ))
start_broker benchplain
$BENCH run "$BOOT" benchplain r1 >.build/bench/benchplain-r1.out 2>.build/bench/benchplain-r1.err &
RUNNER=$!
for _ in $(seq 600); do grep -q "^assigned $PARTITIONS" .build/bench/benchplain-r1.out 2>/dev/null && break; sleep 0.1; done
sleep 1
echo "  $($BENCH produce "$BOOT" benchplain "$PLAIN")"
echo "  plain runs (trivial job, same runner): $($BENCH measure "$BOOT" benchplain "$PLAIN")"
kill "$RUNNER" 2>/dev/null || true
wait "$RUNNER" 2>/dev/null || true
