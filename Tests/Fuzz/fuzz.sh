#!/usr/bin/env bash
# libFuzzer over the signature-header parsers, the JSON parser, the CloudEvents decoder and the filter evaluator, outside the test suite:
#   Tests/Fuzz/fuzz.sh [RUNS]      (default 1000000 each; needs `swift build` first, for the modules it links)
# Builds the parsers from their sources with -sanitize=fuzzer (coverage-guided; the signature harness
# links the prebuilt Tributary, Logging and Crypto objects of .build/debug) and runs RUNS inputs of
# each with a 5 s per-input timeout: a crash, a hang, a random header that verifies, or JSON whose
# printed form does not parse back fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-1000000}"
BUILD=.build/debug
OUT=.build/fuzz
mkdir -p "$OUT/corpus" "$OUT/json-corpus"
INTEGRATIONS=Shared/Integrations
SOURCES=(
    Tests/Fuzz/FuzzSignatures.swift
    $INTEGRATIONS/Common/Hex.swift $INTEGRATIONS/Common/HMACSHA256.swift $INTEGRATIONS/Common/WebhookSignatureError.swift
    $INTEGRATIONS/Common/TimestampWindow.swift $INTEGRATIONS/Common/WebhookSource.swift
    $INTEGRATIONS/Stripe/StripeSignature.swift $INTEGRATIONS/GitHub/GitHubSignature.swift
    $INTEGRATIONS/Shopify/ShopifySignature.swift $INTEGRATIONS/Typeform/TypeformSignature.swift
    $INTEGRATIONS/Linear/LinearSignature.swift $INTEGRATIONS/Slack/SlackSignature.swift
    $INTEGRATIONS/StandardWebhooks/StandardWebhookSignature.swift $INTEGRATIONS/Discord/DiscordSignature.swift
    $INTEGRATIONS/Twilio/TwilioSignature.swift $INTEGRATIONS/Generic/GenericPresetSettings.swift
    $INTEGRATIONS/Generic/GenericSignatures.swift $INTEGRATIONS/Generic/SecretRedaction.swift
)
OBJECTS=$(find "$BUILD/Tributary.build" "$BUILD/Logging.build" "$BUILD/Crypto.build" "$BUILD/CryptoBoringWrapper.build" \
    "$BUILD/CCryptoBoringSSL.build" "$BUILD/CCryptoBoringSSLShims.build" "$BUILD/Tracing.build" "$BUILD/Instrumentation.build" \
    "$BUILD/ServiceContextModule.build" -name '*.o')
swiftc -sanitize=fuzzer -parse-as-library -module-name FuzzSignatures -O -I "$BUILD/Modules" \
    "${SOURCES[@]}" $OBJECTS -o "$OUT/fuzz-signatures"
# Each scheme alone (0 Stripe, 1 GitHub, 2 Shopify, 3 Typeform, 4 Linear, 5 Slack, 6 Standard Webhooks,
# 7 Discord, 8 Twilio, 9 generic HMAC, 10 hex), RUNS inputs each.
for scheme in 0 1 2 3 4 5 6 7 8 9 10; do
    mkdir -p "$OUT/corpus-$scheme"
    echo "scheme $scheme:"
    FUZZ_SCHEME=$scheme "$OUT/fuzz-signatures" -runs="$RUNS" -timeout=5 -max_len=4096 "$OUT/corpus-$scheme" 2>&1 | grep -E "DONE|Done|ERROR|Fatal|SUMMARY" || true
    [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "scheme $scheme failed"; exit 1; }
done
swiftc -sanitize=fuzzer -parse-as-library -module-name FuzzJSON -O \
    Tests/Fuzz/FuzzJSON.swift Shared/Tributary/WireFormats/JSON.swift Shared/Tributary/WireFormats/RFC3339.swift -o "$OUT/fuzz-json"
echo "json:"
"$OUT/fuzz-json" -runs="$RUNS" -timeout=5 -max_len=4096 "$OUT/json-corpus" 2>&1 | grep -E "DONE|Done|ERROR|Fatal|SUMMARY" || true
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "json failed"; exit 1; }
# The CloudEvents decoder and the filter evaluator, each alone, RUNS inputs each (linking the prebuilt Tributary module).
TRIBUTARY_OBJECTS=$(find "$BUILD/Tributary.build" "$BUILD/Logging.build" "$BUILD/Crypto.build" "$BUILD/CryptoBoringWrapper.build" \
    "$BUILD/CCryptoBoringSSL.build" "$BUILD/CCryptoBoringSSLShims.build" "$BUILD/Tracing.build" "$BUILD/Instrumentation.build" \
    "$BUILD/ServiceContextModule.build" -name '*.o')
swiftc -sanitize=fuzzer -parse-as-library -module-name FuzzEvents -O -I "$BUILD/Modules" \
    Tests/Fuzz/FuzzEvents.swift $TRIBUTARY_OBJECTS -o "$OUT/fuzz-events"
mkdir -p "$OUT/corpus-cloudevents" "$OUT/corpus-filter"
# Seeds: a binary-mode CloudEvent (key, value, then header name/value pairs) and a filter with a subject.
printf 'x%s\0%s\0ce_specversion\0001.0\0ce_id\0evt_1\0ce_source\0stripe.com\0ce_type\0price.created\0ce_time\0002026-01-01T00:00:00Z\0content-type\0application/json' \
    'stripe.com/evt_1' '{"id":"price_1","currency":"usd"}' > "$OUT/corpus-cloudevents/seed"
printf 'y%s\0%s' '{"payload":{"currency":["usd"],"amount":[{"$gte":100}],"name":[{"$startsWith":"a"}]}}' \
    '{"payload":{"currency":"usd","amount":120,"name":"ab"}}' > "$OUT/corpus-filter/seed"
for target in cloudevents filter; do
    echo "$target:"
    FUZZ_TARGET=$target "$OUT/fuzz-events" -runs="$RUNS" -timeout=5 -max_len=4096 "$OUT/corpus-$target" 2>&1 | grep -E "DONE|Done|ERROR|Fatal|SUMMARY" || true
    [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "$target failed"; exit 1; }
done
