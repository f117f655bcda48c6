"""A null runner, the ceiling Benchmarks/runner-bench.sh compares ours with.

One confluent-kafka consumer in one group reads each event of <topic>; for each it writes two
~300-byte records with acks=all (as a run's started and finished records) to <output-topic>,
waits for their delivery reports, then commits; nothing else. It stops after <count> events and
prints the rate and its CPU time per event.

    python null_runner.py <bootstrap> <topic> <output-topic> <group> <count>
"""

import os
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer


def main() -> None:
    bootstrap, topic, output, group, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "socket.nagle.disable": True,
        }
    )
    producer = Producer(
        {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 2, "socket.nagle.disable": True}
    )
    started = b'{"status":"running","runId":"%s","jobId":"null","attempt":1,"startedAt":"2026-12-01T00:00:00Z",' + b'"x":"' + b"p" * 180 + b'"}'
    finished = started.replace(b"running", b"succeeded")
    failures = []

    def report(error, _message) -> None:
        if error is not None:
            failures.append(error)

    consumer.subscribe([topic])
    done = 0
    first = None
    while done < count:
        messages = consumer.consume(num_messages=1000, timeout=1.0)
        if not messages:
            continue
        if first is None:
            first = time.monotonic()
            cpu = os.times()
        for message in messages:
            if message.error():
                raise KafkaException(message.error())
            key = message.key() or b""
            producer.produce(output, value=started % key, key=key, on_delivery=report)
            producer.produce(output, value=finished % key, key=key, on_delivery=report)
        producer.flush()
        if failures:
            raise KafkaException(failures[0])
        consumer.commit(asynchronous=False)
        done += len(messages)
    elapsed = time.monotonic() - first
    used = os.times()
    cpu_seconds = (used.user - cpu.user) + (used.system - cpu.system)
    print(f"{done} events in {elapsed:.2f} s: {done / elapsed:,.0f} events/s, {cpu_seconds / done * 1e6:.0f} us CPU per event")
    consumer.close()


if __name__ == "__main__":
    main()
