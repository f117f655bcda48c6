#!/usr/bin/env python3
"""Interop between Tributary's signature schemes and the official Python packages.

Reads one JSON request on stdin, writes one JSON answer on stdout. Bodies travel base64-encoded so the
raw bytes are exact. Commands (argv[1]):
  check         import both packages; exit 3 with a hint if one is missing
  stripe-verify {body, header, secret, tolerance} -> {ok, error?}   (stripe.WebhookSignature.verify_header
                and stripe.Webhook.construct_event)
  stripe-sign   {body, secret, timestamp} -> {header}              (Stripe's documented scheme, plus the
                package's own signature helper when it has one, which must agree)
  swh-sign      {body, secret, id, timestamp} -> {signature}       (standardwebhooks.Webhook.sign)
  swh-verify    {body, secret, id, timestamp, signature} -> {ok, error?}
  slack-sign    {body, secret, timestamp} -> {signature}           (slack_sdk.signature.SignatureVerifier)
  slack-verify  {body, secret, timestamp, signature} -> {ok}
  twilio-sign   {url, params, token} -> {signature}                (twilio.request_validator.RequestValidator)
  twilio-verify {url, params | json, token, signature} -> {ok}     (json: a JSON body, its hash in the URL)
  discord-sign  {body, timestamp} -> {signature, public_key}       (PyNaCl, a new key, as Discord signs)
  discord-verify {body, timestamp, signature, public_key} -> {ok}
"""
import base64
import hashlib
import hmac
import json
import sys

HINT = "run `make setup-python` (a virtual environment in .venv with Tests/Interop/requirements.txt)"


def load():
    try:
        import stripe  # noqa: F401
        import standardwebhooks  # noqa: F401
        import slack_sdk.signature  # noqa: F401
        import twilio.request_validator  # noqa: F401
        import nacl.signing  # noqa: F401
    except ImportError as error:
        print(f"missing Python package ({error}); {HINT}", file=sys.stderr)
        sys.exit(3)
    return stripe, standardwebhooks


def main():
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    stripe, standardwebhooks = load()
    if command == "check":
        print(json.dumps({"stripe": stripe.VERSION, "standardwebhooks": "ok"}))
        return
    request = json.load(sys.stdin)
    body = base64.b64decode(request.get("body", ""))
    if command == "stripe-verify":
        try:
            stripe.WebhookSignature.verify_header(body.decode("utf-8"), request["header"], request["secret"], tolerance=request.get("tolerance", 300))
            event = stripe.Webhook.construct_event(body.decode("utf-8"), request["header"], request["secret"], tolerance=request.get("tolerance", 300))
            print(json.dumps({"ok": True, "event_id": event["id"]}))
        except stripe.SignatureVerificationError as error:  # the package's own rejection
            print(json.dumps({"ok": False, "error": str(error)}))
    elif command == "stripe-sign":
        timestamp = int(request["timestamp"])
        signed = f"{timestamp}.".encode() + body
        documented = hmac.new(request["secret"].encode(), signed, hashlib.sha256).hexdigest()
        helper = getattr(stripe.WebhookSignature, "_compute_signature", None)
        if helper is not None and helper(signed.decode("utf-8"), request["secret"]) != documented:
            print(json.dumps({"error": "stripe's helper disagrees with the documented scheme"}))
            sys.exit(1)
        print(json.dumps({"header": f"t={timestamp},v1={documented}"}))
    elif command == "swh-sign":
        from datetime import datetime, timezone
        webhook = standardwebhooks.Webhook(request["secret"])
        when = datetime.fromtimestamp(int(request["timestamp"]), tz=timezone.utc)
        print(json.dumps({"signature": webhook.sign(request["id"], when, body.decode("utf-8"))}))
    elif command == "swh-verify":
        webhook = standardwebhooks.Webhook(request["secret"])
        headers = {"webhook-id": request["id"], "webhook-timestamp": str(request["timestamp"]), "webhook-signature": request["signature"]}
        try:
            webhook.verify(body, headers)
            print(json.dumps({"ok": True}))
        except standardwebhooks.webhooks.WebhookVerificationError as error:
            print(json.dumps({"ok": False, "error": str(error)}))
    elif command == "slack-sign":
        from slack_sdk.signature import SignatureVerifier
        verifier = SignatureVerifier(request["secret"])
        print(json.dumps({"signature": verifier.generate_signature(timestamp=str(request["timestamp"]), body=body)}))
    elif command == "slack-verify":
        from slack_sdk.signature import SignatureVerifier
        verifier = SignatureVerifier(request["secret"])
        print(json.dumps({"ok": verifier.is_valid(body=body, timestamp=str(request["timestamp"]), signature=request["signature"])}))
    elif command == "twilio-sign":
        from twilio.request_validator import RequestValidator
        validator = RequestValidator(request["token"])
        print(json.dumps({"signature": validator.compute_signature(request["url"], request["params"])}))
    elif command == "twilio-verify":
        from twilio.request_validator import RequestValidator
        validator = RequestValidator(request["token"])
        # A JSON body goes as the string itself: the validator then checks the URL's bodySHA256.
        params = request["json"] if "json" in request else request["params"]
        print(json.dumps({"ok": validator.validate(request["url"], params, request["signature"])}))
    elif command == "discord-sign":
        from nacl.signing import SigningKey
        key = SigningKey.generate()
        signed = key.sign(str(request["timestamp"]).encode() + body)
        print(json.dumps({"signature": signed.signature.hex(), "public_key": key.verify_key.encode().hex()}))
    elif command == "discord-verify":
        from nacl.exceptions import BadSignatureError
        from nacl.signing import VerifyKey
        try:
            VerifyKey(bytes.fromhex(request["public_key"])).verify(
                str(request["timestamp"]).encode() + body, bytes.fromhex(request["signature"]))
            print(json.dumps({"ok": True}))
        except BadSignatureError as error:
            print(json.dumps({"ok": False, "error": str(error)}))
    else:
        print(f"unknown command {command}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
