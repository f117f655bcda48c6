#!/usr/bin/env bash
# Flow control: runs/s of a trivial job with concurrency 1 per key (1,000 keys by default) beside
# the same job without a limit, one after the other on the same events, same embedded broker, same run.
#   Benchmarks/flow-bench.sh [events] [keys]
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-30000}
KEYS=${2:-1000}
PARTITIONS=${PARTITIONS:-12}
. Benchmarks/embedded-broker.sh
start_broker benchflow
echo "embedded broker (tributary broker), $PARTITIONS partitions, one runner at a time; $(nproc) cores"
echo "  $($BENCH flow "$BOOT" benchflow "$COUNT" "$KEYS")"
