"""A Python webhook receiver, the ceiling Benchmarks/receiver-bench.sh compares ours with.

aiohttp on uvloop; the official `stripe` package checks the signature (and parses the event);
confluent-kafka publishes it with acks=all and idempotence; the answer is 200 only after the
delivery report, as ours. One process (one core), as a Python service is usually deployed per core.

    python receiver.py <bootstrap> <topic> <port> <webhook-secret>
"""

import asyncio
import sys
import threading

import stripe
import uvloop
from aiohttp import web
from confluent_kafka import KafkaException, Producer


def main() -> None:
    bootstrap, topic, port, secret = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 2,
            "socket.nagle.disable": True,
        }
    )
    running = threading.Event()
    running.set()

    def serve_delivery_reports() -> None:
        # confluent-kafka calls the delivery callbacks from poll(): a thread of its own keeps them coming.
        while running.is_set():
            producer.poll(0.05)

    async def publish(value: bytes, key: str) -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def report(error, _message) -> None:
            if error is None:
                loop.call_soon_threadsafe(done.set_result, None)
            else:
                loop.call_soon_threadsafe(done.set_exception, KafkaException(error))

        producer.produce(topic, value=value, key=key, on_delivery=report)
        await done

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = stripe.Webhook.construct_event(body, request.headers.get("Stripe-Signature", ""), secret)
        except (ValueError, stripe.SignatureVerificationError) as error:
            return web.json_response({"error": str(error)}, status=400)
        try:
            await publish(body, event["id"])
        except KafkaException as error:
            return web.json_response({"error": str(error)}, status=503)
        return web.json_response({"received": True})

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=1 << 20)
    app.router.add_post("/sources/stripe.webhook", webhook)
    app.router.add_get("/healthz", healthz)
    poller = threading.Thread(target=serve_delivery_reports, daemon=True)
    poller.start()
    try:
        web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, loop=uvloop.new_event_loop())
    finally:
        running.clear()
        producer.flush(5)


if __name__ == "__main__":
    main()
