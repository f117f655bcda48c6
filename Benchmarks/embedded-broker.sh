# Sourced by the benchmark scripts: builds RunnerBench (release) and the tool, and starts embedded
# brokers (`tributary broker`) that are stopped when the script exits.
#   start_broker <prefix>   starts one with $PARTITIONS partitions; sets BOOT to its bootstrap servers
swift build -c release --product RunnerBench 2>/dev/null | tail -1
swift build --product tributary 2>/dev/null | tail -1
mkdir -p .build/bench
BENCH=.build/release/RunnerBench
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
start_broker() {
  rm -f .build/bench/broker-$1.out
  .build/debug/tributary broker --partitions "$PARTITIONS" --topic-prefix "$1" >.build/bench/broker-$1.out 2>.build/bench/broker-$1.err &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s .build/bench/broker-$1.out ] && break; sleep 0.1; done
  BOOT=$(head -1 .build/bench/broker-$1.out)
}
