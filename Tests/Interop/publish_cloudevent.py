"""Publishes one CloudEvent to Kafka the way another system would: the official `cloudevents` SDK
for the envelope and `confluent-kafka` for the producer. Used by the runner's interop test.

    python3 publish_cloudevent.py <bootstrap> <topic> binary|structured <event-id> <total>
"""
import json
import sys

try:  # cloudevents 2.x keeps the 1.x API under cloudevents.v1
    from cloudevents.v1.http import CloudEvent
    from cloudevents.v1.kafka import to_binary, to_structured
except ImportError:
    from cloudevents.http import CloudEvent
    from cloudevents.kafka import to_binary, to_structured
from confluent_kafka import Producer


def main():
    bootstrap, topic, mode, event_id, total = sys.argv[1:6]
    attributes = {
        "type": "order.placed",
        "source": "python.shop",
        "id": event_id,
        "time": "2026-11-29T20:20:31Z",
        "datacontenttype": "application/json",
        "partitionkey": f"python.shop/{event_id}",
    }
    event = CloudEvent(attributes, {"id": event_id, "total": float(total)})
    message = to_binary(event) if mode == "binary" else to_structured(event)
    headers = dict(message.headers)
    if mode == "structured":
        # The SDK's Kafka structured mode copies `datacontenttype` into the content-type header; the
        # CloudEvents Kafka binding says a structured message is `application/cloudevents+json`.
        headers["content-type"] = b"application/cloudevents+json"
    failures = []
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    producer.produce(topic, key=message.key, value=message.value, headers=list(headers.items()),
                     on_delivery=lambda err, _msg: failures.append(err) if err else None)
    remaining = producer.flush(15)
    if remaining or failures:
        print(f"not delivered: {failures or remaining}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"sent": event_id, "mode": mode}))


if __name__ == "__main__":
    main()
