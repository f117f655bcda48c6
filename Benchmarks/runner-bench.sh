#!/usr/bin/env bash
# Runner throughput (one runner hosting 1, 4 and 16 jobs on the same events, then two runners with
# one job) and publish-to-job-start latency, beside the ceiling: the raw consume rate of the same
# events with KafkaBench, and a null runner (Benchmarks/python/null_runner.py: one confluent-kafka
# consumer that writes two ~300-byte records per event with acks=all, waits for their reports, then
# commits), on the same embedded broker, in the same run.
#   Benchmarks/runner-bench.sh [events] [latency-rate] [latency-seconds]
#   JOBS="1 4 16" (job counts of the one-runner throughput); NULL_RUNNER=0 leaves the null runner out;
#   TWO_RUNNERS=0 and LATENCY=0 leave those parts out; BACKLOG=1 produces the events before the runners
#   start (the null runner's conditions: nothing is produced while they run); RUNNER_BENCH=<path> runs another build of
#   RunnerBench (to set two builds side by side in one run);
#   PERF_RECORD=1 records a call-graph profile of the one runner with one job while it runs the events
#   (.build/bench/perf-runner.data); PERF_EVENT=<event> records that event instead of CPU cycles
#   (e.g. page-faults: where the runner touches new memory); PERF_CALLGRAPH="--call-graph dwarf" unwinds
#   through libc (whose malloc has no frame pointers) instead of -g; BENCH_MAX_PENDING_EVENTS=<n> sets the
#   runner's read-ahead (received events not finished; default 50,000: the whole topic here)
# (The webhook-POST-to-job-start latency needs the receiver; it is left for when the receiver lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
# 50,000 by default: every run writes two records to <p>.runs, and the embedded broker keeps only
# about the newest 5 MB of a partition; with 100,000 events over 12 partitions the oldest run records
# are dropped (the low watermark moves up) and `measure`, which counts them, would wait forever.
# Each job is its own subscriber (consumer group <group>.<job>) and writes its own runs, so N jobs
# on E events write N x E runs: E = events / N (rounded down to thousands) keeps <p>.runs the same
# size, e.g. 50,000 events for 1 job, 12,000 for 4, 3,000 for 16.
COUNT=${1:-50000}
JOBS=${JOBS:-"1 4 16"}
RATE=${2:-1000}
SECONDS_=${3:-10}
PARTITIONS=${PARTITIONS:-12}
swift build -c release --product RunnerBench 2>/dev/null | tail -1
swift build -c release --product KafkaBench 2>/dev/null | tail -1
swift build --product tributary 2>/dev/null | tail -1
mkdir -p .build/bench
[ "${NULL_RUNNER:-1}" = 0 ] || PY=$(Benchmarks/python/venv.sh)
BENCH=${RUNNER_BENCH:-.build/release/RunnerBench}
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

runner_ticks() {  # CPU clock ticks (user + system) the running runner processes have used so far
  local sum=0
  for pid in "${RUNNERS[@]}"; do sum=$((sum + $(awk '{print $14 + $15}' /proc/"$pid"/stat))); done
  echo "$sum"
}

runner_faults() {  # minor page faults (memory the kernel had to map and zero) of the running runners so far
  local sum=0
  for pid in "${RUNNERS[@]}"; do sum=$((sum + $(awk '{print $10}' /proc/"$pid"/stat))); done
  echo "$sum"
}

runner_peak_rss() {  # the runners' peak resident memory so far (VmHWM), summed, in MB
  local sum=0
  for pid in "${RUNNERS[@]}"; do sum=$((sum + $(awk '/^VmHWM/ {print $2}' /proc/"$pid"/status))); done
  echo $((sum / 1024))
}

throughput() {  # <runners> <prefix> <jobs per runner> <events>
  local runners=$1 prefix=$2 jobs=$3 count=$4 boot logs=()
  start_broker "$prefix"
  boot=$BOOT
  # BACKLOG=1: the events are on the topic before the runners start, as the null runner finds them.
  [ "${BACKLOG:-0}" = 0 ] || echo "  $($BENCH produce "$boot" "$prefix" "$count") (before the runners start)"
  for i in $(seq "$runners"); do
    $BENCH run "$boot" "$prefix" "r$i" "jobs=$jobs" >.build/bench/$prefix-r$i.out 2>.build/bench/$prefix-r$i.err &
    RUNNERS+=($!)
    logs+=(.build/bench/$prefix-r$i.out)
  done
  local perf="" before faults_before
  start_counting() {  # the runners' CPU and faults from now on, and the profile
    if [ -n "${PERF_RECORD:-}" ] && [ "$runners" = 1 ] && [ "$jobs" = 1 ]; then
      # perf follows the threads a process has when it attaches: attach once the runner's binary
      # has replaced the forked shell (it starts its threads after that).
      local bench_exe; bench_exe=$(readlink -f "$BENCH")
      for _ in $(seq 200); do [ "$(readlink -f "/proc/${RUNNERS[0]}/exe" 2>/dev/null)" = "$bench_exe" ] && break; sleep 0.005; done
      perf record ${PERF_CALLGRAPH:--g} ${PERF_EVENT:+-e "$PERF_EVENT"} -p "${RUNNERS[0]}" -o .build/bench/perf-runner.data >/dev/null 2>&1 &
      perf=$!
    fi
    before=$(runner_ticks)
    faults_before=$(runner_faults)
  }
  # With a backlog the runs begin as soon as the partitions are held: counted from the runners' start
  # (their start-up, a few ms of CPU, is in it).
  [ "${BACKLOG:-0}" = 0 ] || start_counting
  wait_assigned "$PARTITIONS" "${logs[@]}"
  if [ "${BACKLOG:-0}" = 0 ]; then
    sleep 1
    start_counting
  fi
  [ "${BACKLOG:-0}" != 0 ] || echo "  $($BENCH produce "$boot" "$prefix" "$count")"
  echo "  runner x$runners, $jobs job(s): $($BENCH measure "$boot" "$prefix" "$count" "jobs=$jobs")"
  local after; after=$(runner_ticks)
  local faults_after; faults_after=$(runner_faults)
  local peak; peak=$(runner_peak_rss)
  echo "  runners' CPU: $(awk -v t=$((after - before)) -v n=$((count * jobs)) -v k="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / k * 1e6 / n}') us per run (user + system, from /proc/<pid>/stat, over the $([ "${BACKLOG:-0}" = 0 ] && echo "produce and the measure" || echo "runners' start and the measure")); $(awk -v f=$((faults_after - faults_before)) -v n=$((count * jobs)) 'BEGIN {printf "%.2f", f / n}') minor page faults per run; peak RSS ${peak} MB"
  if [ -n "$perf" ]; then kill -INT "$perf"; wait "$perf" 2>/dev/null || true; fi
  echo "  ceiling (KafkaBench raw consume of the same events): $($KBENCH "$boot" "$prefix.events" consume "$count")"
  if [ "$runners" = 1 ] && [ "$jobs" = 1 ] && [ "${NULL_RUNNER:-1}" != 0 ]; then
    echo "  ceiling (null runner, Python confluent-kafka, the same events): $($PY Benchmarks/python/null_runner.py "$boot" "$prefix.events" "$prefix.nullruns" null "$count")"
  fi
  stop_runners
}

echo "embedded broker (tributary broker), $PARTITIONS partitions, trivial jobs, $COUNT events for one job; $(nproc) cores"
for jobs in $JOBS; do
  events=$((COUNT / jobs / 1000 * 1000)); [ "$events" -ge 1000 ] || events=1000
  echo "-- one runner, $jobs job(s) on the same $events events (one consumer group each)"
  throughput 1 "benchone$jobs" "$jobs" "$events"
done
if [ "${TWO_RUNNERS:-1}" != 0 ]; then
  echo "-- two runners, one job"
  throughput 2 benchtwo 1 "$COUNT"
fi
if [ "${LATENCY:-1}" != 0 ]; then
  echo "-- latency: publish (producer send) -> job start, one runner, $RATE events/s for $SECONDS_ s"
  start_broker benchlat
  echo "  ceiling: $($BENCH latency-ceiling "$BOOT" benchlat "$RATE" "$SECONDS_" 2>/dev/null)"
  echo "  runner:  $($BENCH latency "$BOOT" benchlat "$RATE" "$SECONDS_" 2>/dev/null)"
fi
