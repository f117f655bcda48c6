#!/usr/bin/env bash
# Produce and consume throughput of the Swift Kafka client, side by side with librdkafka in C
# (the ceiling), on the same embedded cluster (`tributary broker`) in the same run.
#   Benchmarks/kafka-bench.sh [batch-count] [single-count] [consume-count]
set -euo pipefail
cd "$(dirname "$0")/.."
BATCH=${1:-100000}
SINGLE=${2:-2000}
CONSUME=${3:-16000}
swift build -c release --product KafkaBench >/dev/null
swift build --product tributary >/dev/null
mkdir -p .build/bench
gcc -O2 -o .build/bench/kafka_ceiling Benchmarks/ceiling/kafka_ceiling.c $(pkg-config --cflags --libs rdkafka)
SWIFT=.build/release/KafkaBench
C=.build/bench/kafka_ceiling
.build/debug/tributary broker >.build/bench/broker.out 2>/dev/null &
BROKER=$!
trap 'kill $BROKER 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s .build/bench/broker.out ] && break; sleep 0.1; done
BOOT=$(head -1 .build/bench/broker.out)
echo "embedded broker at $BOOT; 1 KB records, idempotent, acks=all, linger 2 ms"
for round in 1 2; do
  echo "-- round $round"
  echo "C     $($C "$BOOT" c-batch-$round produce-batch "$BATCH")"
  echo "Swift $($SWIFT "$BOOT" swift-batch-$round produce-batch "$BATCH")"
  echo "C     $($C "$BOOT" c-single-$round produce-single "$SINGLE")"
  echo "Swift $($SWIFT "$BOOT" swift-single-$round produce-single "$SINGLE")"
  $C "$BOOT" consume-$round produce-batch "$CONSUME" >/dev/null
  echo "C     $($C "$BOOT" consume-$round consume "$CONSUME")"
  echo "Swift $($SWIFT "$BOOT" consume-$round consume "$CONSUME")"
done
