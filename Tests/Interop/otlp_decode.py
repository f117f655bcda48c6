"""Decodes one OTLP/HTTP trace request body from stdin and prints it as one normalized JSON object.

Usage: otlp_decode.py protobuf|json
protobuf: decoded with the official opentelemetry-proto classes. json: the OTLP/JSON mapping (ids in
hex, 64-bit integers as strings), read field by field as the OTLP specification describes it.
Both print {"resource": {...}, "scope": [name, version], "spans": [...]} with ids in hex and
attribute values as JSON values, so the two encodings of one batch print the same.
"""
import json
import sys

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


def proto_value(any_value):
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [proto_value(v) for v in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


def proto_attributes(attributes):
    return {a.key: proto_value(a.value) for a in attributes}


def from_protobuf(body):
    request = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = request.resource_spans
    [scope_spans] = resource_spans.scope_spans
    spans = []
    for span in scope_spans.spans:
        spans.append({
            "traceId": span.trace_id.hex(), "spanId": span.span_id.hex(), "parentSpanId": span.parent_span_id.hex(),
            "traceState": span.trace_state, "flags": span.flags, "name": span.name, "kind": span.kind,
            "start": span.start_time_unix_nano, "end": span.end_time_unix_nano,
            "attributes": proto_attributes(span.attributes),
            "events": [{"time": e.time_unix_nano, "name": e.name, "attributes": proto_attributes(e.attributes)} for e in span.events],
            "links": [{"traceId": l.trace_id.hex(), "spanId": l.span_id.hex(), "attributes": proto_attributes(l.attributes)} for l in span.links],
            "status": {"code": span.status.code, "message": span.status.message},
        })
    return {
        "resource": proto_attributes(resource_spans.resource.attributes),
        "scope": [scope_spans.scope.name, scope_spans.scope.version],
        "spans": spans,
    }


def json_value(value):
    if "arrayValue" in value:
        return [json_value(v) for v in value["arrayValue"].get("values", [])]
    if "intValue" in value:
        return int(value["intValue"])
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    return None


def json_attributes(attributes):
    return {a["key"]: json_value(a["value"]) for a in attributes}


def from_json(body):
    request = json.loads(body)
    [resource_spans] = request["resourceSpans"]
    [scope_spans] = resource_spans["scopeSpans"]
    spans = []
    for span in scope_spans["spans"]:
        status = span.get("status", {})
        spans.append({
            "traceId": span["traceId"], "spanId": span["spanId"], "parentSpanId": span.get("parentSpanId", ""),
            "traceState": span.get("traceState", ""), "flags": span.get("flags", 0), "name": span["name"], "kind": span["kind"],
            "start": int(span["startTimeUnixNano"]), "end": int(span["endTimeUnixNano"]),
            "attributes": json_attributes(span.get("attributes", [])),
            "events": [{"time": int(e["timeUnixNano"]), "name": e["name"], "attributes": json_attributes(e.get("attributes", []))}
                       for e in span.get("events", [])],
            "links": [{"traceId": l["traceId"], "spanId": l["spanId"], "attributes": json_attributes(l.get("attributes", []))}
                      for l in span.get("links", [])],
            "status": {"code": status.get("code", 0), "message": status.get("message", "")},
        })
    return {
        "resource": json_attributes(resource_spans["resource"]["attributes"]),
        "scope": [scope_spans["scope"]["name"], scope_spans["scope"]["version"]],
        "spans": spans,
    }


body = sys.stdin.buffer.read()
print(json.dumps(from_protobuf(body) if sys.argv[1] == "protobuf" else from_json(body)))
