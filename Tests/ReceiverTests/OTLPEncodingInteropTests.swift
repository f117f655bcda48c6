import Foundation
import ServiceContextModule
import TestSupport
import Testing
import Tracing

@testable import ServiceSupport

/// The exporter's hand-written OTLP encodings, read back by the official opentelemetry-proto
/// classes (protobuf) and by the OTLP/JSON mapping (Tests/Interop/otlp_decode.py).
@Suite("OTLP encoding: what opentelemetry-proto decodes", .tags(.python))
struct OTLPEncodingInteropTests {
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop/otlp_decode.py").path
    }

    /// Python's normalized reading of `body`.
    static func decode(_ body: [UInt8], as format: String) async throws -> [String: Any] {
        let process = Python.process([script, format])
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try launch(process)
        stdin.fileHandleForWriting.write(Data(body))
        try stdin.fileHandleForWriting.close()
        let read = await waitForExit(process, reading: [stdout, stderr])
        guard process.terminationStatus == 0, let decoded = try JSONSerialization.jsonObject(with: read[0]) as? [String: Any] else {
            Issue.record("otlp_decode.py \(format) failed: \(String(decoding: read[1], as: UTF8.self)); \(Python.installHint)")
            return [:]
        }
        return decoded
    }

    /// Spans with every attribute kind, an event, a link, a status, a remote parent and a long body.
    static func batch() -> [RecordedSpan] {
        let tracer = OTLPTracer(sampler: .alwaysOn, queue: SpanQueue(capacity: 100, batchSize: 100))
        var remote = ServiceContext.topLevel
        tracer.extract(
            ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate": "vendor=x"], into: &remote,
            using: DictionaryExtractor())
        let server = tracer.startSpan(
            "POST /sources/{source}", context: remote, ofKind: .server, at: DefaultTracerClock.now, function: "", file: "", line: 0)
        server.updateAttributes { attributes in
            attributes["http.response.status_code"] = 200
            attributes["int32"] = SpanAttribute.int32(-7)
            attributes["ratio"] = 0.5
            attributes["flag"] = true
            attributes["names"] = ["a", "b"]
            attributes["numbers"] = SpanAttribute.int64Array([1, -2])
            attributes["quote"] = "say \"hi\"\n\u{1}é"
            attributes["long"] = String(repeating: "x", count: 20_000)
        }
        server.addEvent(SpanEvent(name: "received", at: DefaultTracerClock.now, attributes: ["bytes": 42]))
        let publish = tracer.startSpan(
            "publish t.events", context: server.context, ofKind: .producer, at: DefaultTracerClock.now, function: "", file: "", line: 0)
        publish.append([
            OTLPAttribute("messaging.system", .string("kafka")), OTLPAttribute("messaging.batch.message_count", .int64(3)),
            OTLPAttribute("listed.double", .double(1.5)), OTLPAttribute("listed.flag", .bool(false)),
            OTLPAttribute("overridden", .string("by the list")),
        ])
        publish.updateAttributes { $0["overridden"] = "by the dictionary" }
        publish.addLink(SpanLink(context: remote, attributes: ["why": "cause"]))
        publish.setStatus(SpanStatus(code: .error, message: "not acknowledged"))
        publish.end()
        server.end()
        return tracer.queue.take().spans
    }

    @Test("protobuf and OTLP/JSON of one batch decode to the same spans, ids, parents, attributes, events, links and status")
    func bothEncodings() async throws {
        let spans = Self.batch()
        let encoding = OTLPTraceEncoding(resource: [(key: "service.name", value: "tributary-test"), (key: "process.pid", value: "7")])
        let protobuf = try await Self.decode(encoding.protobuf(spans), as: "protobuf")
        let json = try await Self.decode(encoding.json(spans), as: "json")
        #expect(NSDictionary(dictionary: protobuf).isEqual(to: json), "protobuf \(protobuf)\njson \(json)")

        #expect((protobuf["resource"] as? [String: String]) == ["service.name": "tributary-test", "process.pid": "7"])
        #expect((protobuf["scope"] as? [String])?.first == "tributary")
        let decoded = try #require(protobuf["spans"] as? [[String: Any]])
        try #require(decoded.count == 2)
        let (publish, server) = (decoded[0], decoded[1])
        let serverContext = spans[1].context
        #expect(server["traceId"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(server["spanId"] as? String == serverContext.spanIdHex)
        #expect(server["parentSpanId"] as? String == "00f067aa0ba902b7")
        #expect(server["traceState"] as? String == "vendor=x")
        #expect(server["flags"] as? Int == 0x301, "sampled, and its parent is remote")
        #expect(server["kind"] as? Int == 2 && publish["kind"] as? Int == 4)
        #expect(server["name"] as? String == "POST /sources/{source}")
        #expect((server["start"] as? Int ?? 0) > 1_700_000_000_000_000_000)
        let attributes = try #require(server["attributes"] as? [String: Any])
        #expect(attributes["http.response.status_code"] as? Int == 200 && attributes["int32"] as? Int == -7)
        #expect(attributes["ratio"] as? Double == 0.5 && attributes["flag"] as? Bool == true)
        #expect(attributes["names"] as? [String] == ["a", "b"] && attributes["numbers"] as? [Int] == [1, -2])
        #expect(attributes["quote"] as? String == "say \"hi\"\n\u{1}é")
        #expect((attributes["long"] as? String)?.count == 20_000)
        let events = try #require(server["events"] as? [[String: Any]])
        #expect(events.first?["name"] as? String == "received" && (events.first?["attributes"] as? [String: Int]) == ["bytes": 42])
        #expect(publish["parentSpanId"] as? String == serverContext.spanIdHex)
        #expect(publish["flags"] as? Int == 0x101, "sampled, its parent local")
        let listed = try #require(publish["attributes"] as? [String: Any])
        #expect(listed["messaging.system"] as? String == "kafka" && listed["messaging.batch.message_count"] as? Int == 3)
        #expect(listed["listed.double"] as? Double == 1.5 && listed["listed.flag"] as? Bool == false)
        #expect(listed["overridden"] as? String == "by the dictionary" && listed.count == 5, "each key once: \(listed)")
        let links = try #require(publish["links"] as? [[String: Any]])
        #expect(
            links.first?["spanId"] as? String == "00f067aa0ba902b7" && (links.first?["attributes"] as? [String: String]) == ["why": "cause"]
        )
        let (publishStatus, serverStatus) = (publish["status"] as? [String: Any], server["status"] as? [String: Any])
        #expect(publishStatus?["code"] as? Int == 2 && publishStatus?["message"] as? String == "not acknowledged")
        #expect(serverStatus?["code"] as? Int == 0 && serverStatus?["message"] as? String == "")
    }
}
