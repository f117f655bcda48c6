#!/usr/bin/env bash
# Flow control: runs/s of a trivial job with concurrency 1 per key (1,000 keys by default) beside
# the same job without a limit, one after the other on the same events, same embedded broker, same run.
#   Benchmarks/flow-bench.sh [events] [keys]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-30000}
KEYS=${2:-1000}
PARTITIONS=${PARTITIONS:-12}
swift build -c release --product RunnerBench 2>/dev/null | tail -1
swift build --product tributary 2>/dev/null | tail -1
mkdir -p .build/bench
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
rm -f .build/bench/broker-benchflow.out
.build/debug/tributary broker --partitions "$PARTITIONS" --topic-prefix benchflow >.build/bench/broker-benchflow.out 2>.build/bench/broker-benchflow.err &
PIDS+=($!)
for _ in $(seq 100); do [ -s .build/bench/broker-benchflow.out ] && break; sleep 0.1; done
BOOT=$(head -1 .build/bench/broker-benchflow.out)
echo "embedded broker (tributary broker), $PARTITIONS partitions, one runner at a time; $(nproc) cores"
echo "  $(.build/release/RunnerBench flow "$BOOT" benchflow "$COUNT" "$KEYS")"
