#!/usr/bin/env bash
# End-to-end latency: a Stripe-signed webhook POSTed to the receiver until its job starts in a runner,
# at a fixed rate, beside the same runner's latency from a direct Kafka publish (no HTTP, no receiver)
# and a bare consumer's (the ceiling), in the same run, on one embedded broker.
#   Benchmarks/e2e-latency.sh [rate] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-1000}
SECONDS_=${2:-10}
# swift build takes one --product (the last one given): one call per product.
for product in receiver ReceiverBench RunnerBench; do swift build -c release --product $product >/dev/null; done
swift build --product tributary >/dev/null
OUT=.build/bench/e2e
mkdir -p $OUT
.build/debug/tributary broker --topic-prefix e2e >$OUT/broker.out 2>/dev/null &
BROKER=$!
RECEIVER=
trap 'kill $RECEIVER $BROKER 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s $OUT/broker.out ] && break; sleep 0.1; done
BOOT=$(head -1 $OUT/broker.out)
KEY=$(head -c 32 /dev/urandom | base64)
.build/release/ReceiverBench setup "$BOOT" e2e "$KEY" $OUT   # stripe.webhook with secret whsec_benchmarksecret
PORT=18090
KAFKA_BROKERS=$BOOT TRIBUTARY_SECRET_KEY=$KEY TRIBUTARY_TOPIC_PREFIX=e2e RECEIVER_PORT=$PORT RECEIVER_HOST=127.0.0.1 \
  LOG_LEVEL=warning .build/release/receiver >$OUT/receiver.log 2>&1 &
RECEIVER=$!
for _ in $(seq 200); do curl -sf http://127.0.0.1:$PORT/readyz >/dev/null && break; sleep 0.1; done
echo "== publish -> job start (the runner alone, events published straight to Kafka)"
.build/release/RunnerBench latency "$BOOT" e2e "$RATE" "$SECONDS_"
echo "== webhook POST -> job start (receiver + runner)"
.build/release/RunnerBench webhook-latency "$BOOT" e2e "$RATE" "$SECONDS_" "http://127.0.0.1:$PORT/sources/stripe.webhook" whsec_benchmarksecret
# Last, on the warmed-up broker (run first, its first events wait for the broker's first produce).
echo "== ceiling: publish -> a bare KafkaConsumer receives (no runner, no receiver)"
.build/release/RunnerBench latency-ceiling "$BOOT" e2e "$RATE" "$SECONDS_"
