#!/usr/bin/env bash
# Signed webhooks per second through the receiver (Stripe price.created, ~1 KB, verified, published
# with acks=all, 200 only after the acknowledgement), side by side with the same server's /healthz
# ceiling, on the embedded broker, with wrk on loopback; then p50/p99 latency at a fixed rate; then
# the same webhooks through a Python receiver (Benchmarks/python/receiver.py: aiohttp on uvloop, the
# official stripe package, confluent-kafka with acks=all and idempotence), the other ceiling.
# CPU per request is the receiver's CPU time (utime + stime from /proc) over the requests it served.
#   Benchmarks/receiver-bench.sh [seconds] [connections] [fixed-rate]
#   PYTHON_CEILING=0 leaves the Python receiver out; COMPARE_LINGER=2ms repeats the webhook loads with
#   RECEIVER_PUBLISH_LINGER=2ms (the default is 0); RECEIVER_BIN=<path> runs another receiver binary
#   (an earlier build, to compare two in the same conditions).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_=${1:-10}
CONNECTIONS=${2:-64}
RATE=${3:-1000}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
# swift build takes one --product (the last one given): one call per product.
for product in receiver ReceiverBench; do swift build -c release --product $product >/dev/null; done
swift build --product tributary >/dev/null
OUT=.build/bench/receiver
RECEIVER_BIN=${RECEIVER_BIN:-.build/release/receiver}
mkdir -p $OUT
.build/debug/tributary broker --topic-prefix bench >$OUT/broker.out 2>/dev/null &
BROKER=$!
PYRECEIVER=
trap 'kill $RECEIVER $BROKER $PYRECEIVER 2>/dev/null || true' EXIT
cpu_ticks() { awk '{print $14 + $15}' /proc/$1/stat; }
# wrk_cpu <pid> <label> <wrk arguments...>: wrk's rate and latency, the server's CPU per request, and
# the embedded broker's (on these shared cores, the broker's work for each webhook is CPU the
# receiver cannot have; /healthz costs the broker nothing)
wrk_cpu() {
  local pid=$1 label=$2; shift 2
  local before after broker_before broker_after out requests
  before=$(cpu_ticks "$pid")
  broker_before=$(cpu_ticks "$BROKER")
  out=$(wrk "$@")
  after=$(cpu_ticks "$pid")
  broker_after=$(cpu_ticks "$BROKER")
  echo "$out" | grep -E "Requests/sec|50%|99%|non-2xx"
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  awk -v t=$((after - before)) -v b=$((broker_after - broker_before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" -v l="$label" \
    'BEGIN { if (n > 0) printf "  %s CPU per request: %.0f us (%d requests); embedded broker CPU per request: %.0f us\n", l, t / hz / n * 1e6, n, b / hz / n * 1e6 }'
}
for _ in $(seq 100); do [ -s $OUT/broker.out ] && break; sleep 0.1; done
BOOT=$(head -1 $OUT/broker.out)
KEY=$(head -c 32 /dev/urandom | base64)
.build/release/ReceiverBench setup "$BOOT" bench "$KEY" $OUT
PORT=18080
KAFKA_BROKERS=$BOOT TRIBUTARY_SECRET_KEY=$KEY TRIBUTARY_TOPIC_PREFIX=bench RECEIVER_PORT=$PORT RECEIVER_HOST=127.0.0.1 \
  LOG_LEVEL=warning $RECEIVER_BIN >$OUT/receiver.log 2>&1 &
RECEIVER=$!
for _ in $(seq 200); do curl -sf http://127.0.0.1:$PORT/readyz >/dev/null && break; sleep 0.1; done
cat >$OUT/post.lua <<LUA
wrk.method = "POST"
wrk.body = io.open("$OUT/body.json"):read("*a")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Stripe-Signature"] = io.open("$OUT/signature"):read("*a")
done = function(summary, latency, requests)
  local codes = summary.errors.status
  io.write(string.format("non-2xx: %d\n", codes))
end
LUA
echo "== ceiling: GET /healthz, wrk -t2 -c$CONNECTIONS -d${SECONDS_}s"
wrk_cpu $RECEIVER receiver -t2 -c$CONNECTIONS -d${SECONDS_}s --latency http://127.0.0.1:$PORT/healthz
echo "== signed Stripe webhooks: POST /sources/stripe.webhook, wrk -t2 -c$CONNECTIONS -d${SECONDS_}s"
wrk_cpu $RECEIVER receiver -t2 -c$CONNECTIONS -d${SECONDS_}s --latency -s $OUT/post.lua http://127.0.0.1:$PORT/sources/stripe.webhook
echo "== one connection (a provider's serial deliveries): wrk -t1 -c1 -d${SECONDS_}s"
wrk_cpu $RECEIVER receiver -t1 -c1 -d${SECONDS_}s --latency -s $OUT/post.lua http://127.0.0.1:$PORT/sources/stripe.webhook
echo "== signed Stripe webhooks at a fixed rate"
.build/release/ReceiverBench rate http://127.0.0.1:$PORT/sources/stripe.webhook $RATE 10 $OUT
curl -s http://127.0.0.1:$PORT/metrics | grep -E "^tributary_receiver_(requests_total|events_published_total)" || true
if [ -n "${COMPARE_LINGER:-}" ]; then # COMPARE_LINGER=2ms: the same two loads with RECEIVER_PUBLISH_LINGER at that value
  kill $RECEIVER; wait $RECEIVER 2>/dev/null || true
  KAFKA_BROKERS=$BOOT TRIBUTARY_SECRET_KEY=$KEY TRIBUTARY_TOPIC_PREFIX=bench RECEIVER_PORT=$PORT RECEIVER_HOST=127.0.0.1 \
    RECEIVER_PUBLISH_LINGER=$COMPARE_LINGER LOG_LEVEL=warning $RECEIVER_BIN >$OUT/receiver-linger.log 2>&1 &
  RECEIVER=$!
  for _ in $(seq 200); do curl -sf http://127.0.0.1:$PORT/readyz >/dev/null && break; sleep 0.1; done
  echo "== RECEIVER_PUBLISH_LINGER=$COMPARE_LINGER: signed Stripe webhooks, wrk -t2 -c$CONNECTIONS -d${SECONDS_}s"
  wrk_cpu $RECEIVER receiver -t2 -c$CONNECTIONS -d${SECONDS_}s --latency -s $OUT/post.lua http://127.0.0.1:$PORT/sources/stripe.webhook
  echo "== RECEIVER_PUBLISH_LINGER=$COMPARE_LINGER: one connection, wrk -t1 -c1 -d${SECONDS_}s"
  wrk_cpu $RECEIVER receiver -t1 -c1 -d${SECONDS_}s --latency -s $OUT/post.lua http://127.0.0.1:$PORT/sources/stripe.webhook
fi
if [ "${PYTHON_CEILING:-1}" != 0 ]; then
  PY=$(Benchmarks/python/venv.sh)
  PYPORT=18081
  $PY Benchmarks/python/receiver.py "$BOOT" bench.events $PYPORT whsec_benchmarksecret >$OUT/python-receiver.log 2>&1 &
  PYRECEIVER=$!
  for _ in $(seq 200); do curl -sf http://127.0.0.1:$PYPORT/healthz >/dev/null && break; sleep 0.1; done
  echo "== ceiling: the same webhooks through the Python receiver (aiohttp, uvloop, stripe, confluent-kafka), wrk -t2 -c$CONNECTIONS -d${SECONDS_}s"
  wrk_cpu $PYRECEIVER "python receiver" -t2 -c$CONNECTIONS -d${SECONDS_}s --latency -s $OUT/post.lua http://127.0.0.1:$PYPORT/sources/stripe.webhook
fi
