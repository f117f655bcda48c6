#!/usr/bin/env bash
# The console: projection ingest records/s from <p>.runs on the embedded broker beside a raw read of
# the same records (goal >= 20,000/s), and the runs page and /api/runs over loopback with 1,000,000
# runs in its SQLite database (goal p99 <= 50 ms), unfiltered and filtered.
#   Benchmarks/console-bench.sh [ingest records] [database runs] [requests per route]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product ConsoleBench 2>/dev/null | tail -1
echo "ConsoleBench; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
.build/release/ConsoleBench "${1:-60000}" "${2:-1000000}" "${3:-200}"
