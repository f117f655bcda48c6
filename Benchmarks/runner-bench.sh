#!/usr/bin/env bash
# Runner throughput (one runner, then two) and publish-to-job-start latency, beside the ceiling:
# the raw consume rate of the same events with KafkaBench, on the same embedded broker, in the same run.
#   Benchmarks/runner-bench.sh [events] [latency-rate] [latency-seconds]
# (The webhook-POST-to-job-start latency needs the receiver; it is left for when the receiver lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
# 50,000 by default: every run writes two records to <p>.runs, and the embedded broker keeps only
# about the newest 5 MB of a partition; with 100,000 events over 12 partitions the oldest run records
# are dropped (the low watermark moves up) and `measure`, which counts them, would wait forever.
COUNT=${1:-50000}
RATE=${2:-1000}
SECONDS_=${3:-10}
PARTITIONS=${PARTITIONS:-12}
swift build -c release --product RunnerBench 2>/dev/null | tail -1
swift build -c release --product KafkaBench 2>/dev/null | tail -1
swift build --product tributary 2>/dev/null | tail -1
mkdir -p .build/bench
BENCH=.build/release/RunnerBench
KBENCH=.build/release/KafkaBench
PIDS=()     # brokers
RUNNERS=()  # runner processes: stopped (SIGTERM, then SIGKILL) before their broker goes
stop_runners() {
  for pid in "${RUNNERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${RUNNERS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  RUNNERS=()
}
cleanup() { stop_runners; for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

start_broker() {  # sets BOOT to the bootstrap servers
  rm -f .build/bench/broker-$1.out
  .build/debug/tributary broker --partitions "$PARTITIONS" --topic-prefix "$1" >.build/bench/broker-$1.out 2>.build/bench/broker-$1.err &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s .build/bench/broker-$1.out ] && break; sleep 0.1; done
  BOOT=$(head -1 .build/bench/broker-$1.out)
}

wait_assigned() {  # <total partitions> <log files...>
  local want=$1; shift
  for _ in $(seq 600); do
    local sum=0
    for log in "$@"; do
      local n; n=$( (grep '^assigned' "$log" 2>/dev/null || true) | tail -1 | awk '{print $2}')
      sum=$((sum + ${n:-0}))
    done
    # every runner holds some partitions and together they hold all
    local ok=1
    for log in "$@"; do [ "$( (grep '^assigned' "$log" 2>/dev/null || true) | tail -1 | awk '{print $2}')" -gt 0 ] 2>/dev/null || ok=0; done
    [ "$sum" = "$want" ] && [ $ok = 1 ] && return 0
    sleep 0.1
  done
  echo "runners did not get the partitions" >&2; return 1
}

throughput() {  # <runners> <prefix>
  local runners=$1 prefix=$2 boot logs=()
  start_broker "$prefix"
  boot=$BOOT
  for i in $(seq "$runners"); do
    $BENCH run "$boot" "$prefix" "r$i" >.build/bench/$prefix-r$i.out 2>.build/bench/$prefix-r$i.err &
    RUNNERS+=($!)
    logs+=(.build/bench/$prefix-r$i.out)
  done
  wait_assigned "$PARTITIONS" "${logs[@]}"
  sleep 1
  echo "  $($BENCH produce "$boot" "$prefix" "$COUNT")"
  echo "  runner x$runners: $($BENCH measure "$boot" "$prefix" "$COUNT")"
  echo "  ceiling (KafkaBench raw consume of the same events): $($KBENCH "$boot" "$prefix.events" consume "$COUNT")"
  stop_runners
}

echo "embedded broker (tributary broker), $PARTITIONS partitions, trivial job, $COUNT events; $(nproc) cores"
echo "-- one runner"
throughput 1 benchone
echo "-- two runners"
throughput 2 benchtwo
echo "-- latency: publish (producer send) -> job start, one runner, $RATE events/s for $SECONDS_ s"
start_broker benchlat
echo "  ceiling: $($BENCH latency-ceiling "$BOOT" benchlat "$RATE" "$SECONDS_" 2>/dev/null)"
echo "  runner:  $($BENCH latency "$BOOT" benchlat "$RATE" "$SECONDS_" 2>/dev/null)"
