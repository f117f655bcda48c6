"""An OTLP/HTTP trace collector stand-in on loopback, for the tracing system test and the benchmark.

Usage: otlp_collector.py [--discard | --hang] [--port N]
Prints its base URL (http://127.0.0.1:PORT) as the first line, then, for every span of every
POST /v1/traces (application/x-protobuf, decoded with the official opentelemetry-proto classes),
one JSON line: {"request": path, "bytes": n} first, then per span service, name, kind, traceId, spanId, parentSpanId (hex), attributes, status.
With --discard it only answers (a sink for measuring the exporter's cost) and prints nothing more;
with --hang it never answers (a collector that died with its connections open). --port N listens
on N instead of a free port.
A body that does not decode is answered 400 and reported as {"error": ...}.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

ARGUMENTS = sys.argv[1:]
DISCARD = "--discard" in ARGUMENTS
HANG = "--hang" in ARGUMENTS
PORT = int(ARGUMENTS[ARGUMENTS.index("--port") + 1]) if "--port" in ARGUMENTS else 0


# Requests are handled on threads of their own; one print is two writes (the text, then its end),
# so two threads printing at once can put two JSON objects on one line. Every output goes through
# `emit`: one write of whole lines under a lock.
OUTPUT_LOCK = threading.Lock()


def emit(*lines):
    with OUTPUT_LOCK:
        sys.stdout.write("".join(line + "\n" for line in lines))
        sys.stdout.flush()


def value_of(any_value):
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [value_of(v) for v in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if HANG:
            time.sleep(3600)
        if not DISCARD:
            emit(json.dumps({"request": self.path, "bytes": len(body)}))
        if self.path != "/v1/traces":
            return self.answer(404, b"")
        if not DISCARD:
            try:
                request = ExportTraceServiceRequest.FromString(body)
            except Exception as error:  # noqa: BLE001 - reported, then refused
                emit(json.dumps({"error": str(error)}))
                return self.answer(400, b"")
            lines = []
            for resource_spans in request.resource_spans:
                resource = {a.key: value_of(a.value) for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        lines.append(json.dumps({
                            "service": resource.get("service.name"),
                            "name": span.name,
                            "kind": span.kind,
                            "traceId": span.trace_id.hex(),
                            "spanId": span.span_id.hex(),
                            "parentSpanId": span.parent_span_id.hex(),
                            "attributes": {a.key: value_of(a.value) for a in span.attributes},
                            "status": span.status.code,
                        }))
            if lines:
                emit(*lines)
        self.answer(200, ExportTraceServiceResponse().SerializeToString())

    def answer(self, status, payload):
        self.send_response(status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass


ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
emit(f"http://127.0.0.1:{server.server_address[1]}")
server.serve_forever()
