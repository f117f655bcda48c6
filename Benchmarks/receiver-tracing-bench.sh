#!/usr/bin/env bash
# The receiver's throughput and CPU per signed webhook with tracing off beside tracing on (every
# request sampled, spans exported over OTLP/HTTP to a sink that answers and discards), in one run,
# on the embedded broker, with wrk on loopback. Goal: tracing on keeps >= 90% of the throughput.
#   Benchmarks/receiver-tracing-bench.sh [seconds] [connections]
# ROUNDS=n (default 2) alternates off and on n times, so a machine that slows down mid-run weighs on
# both; the ratio is of the summed requests and of the summed CPU.
# RECEIVER_BIN=<path> runs another receiver binary.
# TOGETHER=1 runs the two receivers at the same time instead (ports 18081 and 18082, one wrk of
# -t1 -c<connections/2> each, ROUNDS times): both share the machine's speed of the moment, so its
# changes between rounds (±30% on a shared machine) fall out of the ratio; the receiver that costs
# more CPU per webhook answers fewer of them.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_=${1:-10}
CONNECTIONS=${2:-64}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
make setup-python >/dev/null
swift build -c release --product receiver >/dev/null && swift build -c release --product ReceiverBench >/dev/null
swift build --product tributary >/dev/null
OUT=.build/bench/receiver-tracing
RECEIVER_BIN=${RECEIVER_BIN:-.build/release/receiver} # another build, to profile or compare it in the same conditions
mkdir -p $OUT
RECEIVER=""
.build/debug/tributary broker --topic-prefix bench >$OUT/broker.out 2>/dev/null &
BROKER=$!
.venv/bin/python3 Tests/Interop/otlp_collector.py --discard >$OUT/sink.out 2>&1 &
SINK=$!
trap 'kill $RECEIVER $BROKER $SINK 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s $OUT/broker.out ] && [ -s $OUT/sink.out ] && break; sleep 0.1; done
BOOT=$(head -1 $OUT/broker.out)
SINK_URL=$(head -1 $OUT/sink.out)
KEY=$(head -c 32 /dev/urandom | base64)
.build/release/ReceiverBench setup "$BOOT" bench "$KEY" $OUT
PORT=18081
cat >$OUT/post.lua <<LUA
wrk.method = "POST"
wrk.body = io.open("$OUT/body.json"):read("*a")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Stripe-Signature"] = io.open("$OUT/signature"):read("*a")
done = function(summary, latency, requests)
  io.write(string.format("requests: %d\nnon-2xx: %d\n", summary.requests, summary.errors.status))
end
LUA
cpu_ticks() { awk '{print $14 + $15}' /proc/$1/stat; }
run() { # name, extra environment...
  local name=$1; shift
  env KAFKA_BROKERS=$BOOT TRIBUTARY_SECRET_KEY=$KEY TRIBUTARY_TOPIC_PREFIX=bench RECEIVER_PORT=$PORT RECEIVER_HOST=127.0.0.1 \
    LOG_LEVEL=warning "$@" $RECEIVER_BIN >$OUT/receiver-$name.log 2>&1 &
  RECEIVER=$!
  for _ in $(seq 200); do curl -sf http://127.0.0.1:$PORT/readyz >/dev/null && break; sleep 0.1; done
  # Warm up (and let the receiver's view hold the source), then measure.
  wrk -t2 -c$CONNECTIONS -d2s -s $OUT/post.lua http://127.0.0.1:$PORT/sources/stripe.webhook >/dev/null
  local before; before=$(cpu_ticks $RECEIVER)
  local sink_before; sink_before=$(cpu_ticks $SINK)
  local perf=""
  if [ -n "${PERF_RECORD:-}" ]; then # PERF_RECORD=1: a call-graph profile of the measured window, $OUT/perf-<name>.data
    perf record -g -p $RECEIVER -o $OUT/perf-$name.data -- sleep "$SECONDS_" >/dev/null 2>&1 &
    perf=$!
  fi
  wrk -t2 -c$CONNECTIONS -d${SECONDS_}s --latency -s $OUT/post.lua http://127.0.0.1:$PORT/sources/stripe.webhook >$OUT/wrk-$name.txt
  local after; after=$(cpu_ticks $RECEIVER)
  local sink_after; sink_after=$(cpu_ticks $SINK)
  [ -z "$perf" ] || wait $perf
  local requests; requests=$(awk '/^requests:/ {print $2}' $OUT/wrk-$name.txt)
  local rps; rps=$(awk '/Requests\/sec/ {print $2}' $OUT/wrk-$name.txt)
  local p99; p99=$(awk '$1 == "99%" {print $2}' $OUT/wrk-$name.txt)
  local errors; errors=$(awk '/^non-2xx:/ {print $2}' $OUT/wrk-$name.txt)
  local tick; tick=$(getconf CLK_TCK)
  echo "$name: $rps webhooks/s, p99 $p99, non-2xx $errors, receiver CPU $(awk -v t=$((after - before)) -v r=$requests -v k=$tick 'BEGIN {printf "%.1f", t / k * 1e6 / r}') µs per webhook, sink CPU $(awk -v t=$((sink_after - sink_before)) -v r=$requests -v k=$tick 'BEGIN {printf "%.1f", t / k * 1e6 / r}') µs"
  echo "$requests $((after - before))" >>$OUT/totals-${name%%-*}
  kill $RECEIVER; wait $RECEIVER 2>/dev/null || true
  RECEIVER=""
}
start_receiver() { # port, log name, extra environment...; sets STARTED to its pid
  local port=$1 name=$2; shift 2
  env KAFKA_BROKERS=$BOOT TRIBUTARY_SECRET_KEY=$KEY TRIBUTARY_TOPIC_PREFIX=bench RECEIVER_PORT=$port RECEIVER_HOST=127.0.0.1 \
    LOG_LEVEL=warning "$@" $RECEIVER_BIN >$OUT/receiver-$name.log 2>&1 &
  STARTED=$!
  for _ in $(seq 200); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 0.1; done
}
together() { # round
  local round=$1 half=$((CONNECTIONS / 2)) tick; tick=$(getconf CLK_TCK)
  start_receiver $PORT off-together-$round; local off=$STARTED
  start_receiver $((PORT + 1)) on-together-$round OTEL_EXPORTER_OTLP_ENDPOINT=$SINK_URL OTEL_TRACES_SAMPLER=always_on; local on=$STARTED
  RECEIVER="$off $on"
  wrk -t1 -c$half -d2s -s $OUT/post.lua http://127.0.0.1:$PORT/sources/stripe.webhook >/dev/null &
  local load=$!
  wrk -t1 -c$half -d2s -s $OUT/post.lua http://127.0.0.1:$((PORT + 1))/sources/stripe.webhook >/dev/null
  wait $load
  local off_before on_before; off_before=$(cpu_ticks $off); on_before=$(cpu_ticks $on)
  if [ -n "${PERF_RECORD:-}" ]; then # call-graph profiles of both, $OUT/perf-{off,on}-together-<round>.data
    perf record -g -p $off -o $OUT/perf-off-together-$round.data -- sleep "$SECONDS_" >/dev/null 2>&1 &
    perf record -g -p $on -o $OUT/perf-on-together-$round.data -- sleep "$SECONDS_" >/dev/null 2>&1 &
  fi
  wrk -t1 -c$half -d${SECONDS_}s -s $OUT/post.lua http://127.0.0.1:$PORT/sources/stripe.webhook >$OUT/wrk-off-together-$round.txt &
  load=$!
  wrk -t1 -c$half -d${SECONDS_}s -s $OUT/post.lua http://127.0.0.1:$((PORT + 1))/sources/stripe.webhook >$OUT/wrk-on-together-$round.txt
  wait $load
  local off_after on_after; off_after=$(cpu_ticks $off); on_after=$(cpu_ticks $on)
  local name
  for name in off on; do
    local requests errors before after
    requests=$(awk '/^requests:/ {print $2}' $OUT/wrk-$name-together-$round.txt)
    errors=$(awk '/^non-2xx:/ {print $2}' $OUT/wrk-$name-together-$round.txt)
    if [ $name = off ]; then before=$off_before after=$off_after; else before=$on_before after=$on_after; fi
    echo "$name-$round (together): $requests webhooks in ${SECONDS_} s, non-2xx $errors, receiver CPU $(awk -v t=$((after - before)) -v r=$requests -v k=$tick 'BEGIN {printf "%.1f", t / k * 1e6 / r}') µs per webhook"
    echo "$requests $((after - before))" >>$OUT/totals-$name
  done
  kill $off $on; wait $off $on 2>/dev/null || true
  RECEIVER=""
}
ROUNDS=${ROUNDS:-2}
if [ "${TOGETHER:-0}" = 1 ]; then
  echo "== signed Stripe webhooks, tracing off and on at the same time (always_on, OTLP/HTTP to a discarding sink): wrk -t1 -c$((CONNECTIONS / 2)) -d${SECONDS_}s on each, $ROUNDS rounds"
  rm -f $OUT/totals-off $OUT/totals-on
  for round in $(seq "$ROUNDS"); do together "$round"; done
else
echo "== signed Stripe webhooks, wrk -t2 -c$CONNECTIONS -d${SECONDS_}s, tracing off then on (always_on, OTLP/HTTP to a discarding sink), $ROUNDS rounds"
rm -f $OUT/totals-off $OUT/totals-on
for round in $(seq "$ROUNDS"); do
  run off-$round
  run on-$round OTEL_EXPORTER_OTLP_ENDPOINT=$SINK_URL OTEL_TRACES_SAMPLER=always_on
done
fi
read -r off_requests off_ticks < <(awk '{r += $1; t += $2} END {print r, t}' $OUT/totals-off)
read -r on_requests on_ticks < <(awk '{r += $1; t += $2} END {print r, t}' $OUT/totals-on)
awk -v r0="$off_requests" -v t0="$off_ticks" -v r1="$on_requests" -v t1="$on_ticks" -v k="$(getconf CLK_TCK)" 'BEGIN {
  printf "tracing on keeps %.1f%% of the throughput (%d against %d webhooks); receiver CPU per webhook %.1f µs on against %.1f µs off\n",
    r1 / r0 * 100, r1, r0, t1 / k * 1e6 / r1, t0 / k * 1e6 / r0
}'
