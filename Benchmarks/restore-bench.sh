#!/usr/bin/env bash
# Restore of one <p>.runs partition holding 1,000,000 run records, fed to the restore code
# (RunHistoryFold) directly, beside the ceiling (touching every record's key and header bytes) and
# the old restore (JSON-decoding every record), in the same process. Goal: <= 2 s, <= 150 MB per million.
#   Benchmarks/restore-bench.sh [records] [repetitions]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product RestoreBench 2>/dev/null | tail -1
echo "RestoreBench ${1:-1000000} records, best of ${2:-3}; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
.build/release/RestoreBench "${1:-1000000}" "${2:-3}"
