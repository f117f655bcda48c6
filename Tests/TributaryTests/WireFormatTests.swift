import Foundation
import Testing
import Tributary

private let sampleEvent = EventRecord(
    id: "evt_1", name: "price.created", source: "stripe.com",
    timestamp: Date(timeIntervalSince1970: 1_795_983_631.25),
    payload: ["id": "price_1", "currency": "usd"], context: ["livemode": false], sourceKey: "stripe.webhook")

@Test func cloudEventBinaryModeHeadersKeyAndValue() throws {
    let r = CloudEvent.encode(sampleEvent)
    #expect(r.keyString == "stripe.com/evt_1")
    #expect(
        r.headers.map(\.name) == [
            "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type",
            "ce_tributarysourcekey", "ce_tributarycontext",
        ])
    #expect(r.headerString("ce_specversion") == "1.0")
    #expect(r.headerString("ce_id") == "evt_1")
    #expect(r.headerString("ce_source") == "stripe.com")
    #expect(r.headerString("ce_type") == "price.created")
    #expect(r.headerString("ce_time") == "2026-11-29T20:20:31.250Z")
    #expect(r.headerString("content-type") == "application/json")
    #expect(r.headerString("ce_tributarysourcekey") == "stripe.webhook")
    #expect(try JSON(parsing: try #require(r.header("ce_tributarycontext"))) == ["livemode": false])
    #expect(try JSON(parsing: try #require(r.value)) == sampleEvent.payload)
    #expect(try CloudEvent.decode(r) == sampleEvent)
}

@Test func cloudEventUsesKnownPayloadBytesWithoutReencoding() throws {
    var e = sampleEvent
    let body = Array(#"{ "currency" : "usd", "id" : "price_1" }"#.utf8)
    e.payloadBytes = body
    e.context = .object([:])
    e.sourceKey = nil
    let r = CloudEvent.encode(e)
    #expect(r.value == body)
    #expect(r.header("ce_tributarycontext") == nil && r.header("ce_tributarysourcekey") == nil)
    let back = try CloudEvent.decode(r)
    #expect(back.payload == e.payload && back.context == .object([:]) && back.sourceKey == nil)
}

@Test func cloudEventStructuredModeIsAccepted() throws {
    let doc: JSON = [
        "specversion": "1.0", "id": "a-1", "source": "billing", "type": "invoice.paid",
        "time": "2026-11-29T21:20:31.5+01:00", "datacontenttype": "application/json",
        "data": ["amount": 5], "tributarycontext": ["tenant": "t1"],
    ]
    let r = WireRecord(
        key: nil, value: doc.encoded(),
        headers: [WireHeader("content-type", "application/cloudevents+json; charset=utf-8")])
    let e = try CloudEvent.decode(r)
    #expect(e.id == "a-1" && e.source == "billing" && e.name == "invoice.paid")
    #expect(e.timestamp == Date(timeIntervalSince1970: 1_795_983_631.5))
    #expect(e.payload == ["amount": 5] && e.context == ["tenant": "t1"])
    // data_base64 is accepted too.
    let b64: JSON = [
        "specversion": "1.0", "id": "a-2", "source": "s", "type": "t",
        "data_base64": .string(Data(#"{"x":1}"#.utf8).base64EncodedString()),
    ]
    let e2 = try CloudEvent.decode(
        WireRecord(
            key: nil, value: b64.encoded(),
            headers: [WireHeader("content-type", "application/cloudevents+json")]))
    #expect(e2.payload == ["x": 1])
}

@Test func structuredModeWithTheDataContentTypeIsAccepted() throws {
    // As the official Python SDK sends it: content-type is the data's, the value the whole event.
    let doc: JSON = ["specversion": "1.0", "id": "py-1", "source": "shop", "type": "order.placed", "data": ["total": 3]]
    let event = try CloudEvent.decode(WireRecord(key: nil, value: doc.encoded(), headers: [WireHeader("content-type", "application/json")]))
    #expect(event.id == "py-1" && event.name == "order.placed" && event.payload == ["total": 3])
    // A JSON object that is not a CloudEvent is still refused, with a reason.
    #expect(throws: WireFormatError.self) {
        try CloudEvent.decode(
            WireRecord(key: nil, value: Array(#"{"order":1}"#.utf8), headers: [WireHeader("content-type", "application/json")]))
    }
    #expect(throws: WireFormatError.self) {
        try CloudEvent.decode(WireRecord(key: nil, value: Array(#"{"specversion":"1.0","id":"x"}"#.utf8)))
    }
}

@Test func cloudEventTimeMayHaveAnyRFC3339Form() throws {
    for (t, epoch) in [("2026-11-29T20:20:31Z", 1_795_983_631.0), ("2026-11-29T22:20:31.75+02:00", 1_795_983_631.75)] {
        var r = CloudEvent.encode(sampleEvent)
        r.headers[4] = WireHeader("ce_time", t)
        #expect(try CloudEvent.decode(r).timestamp.timeIntervalSince1970 == epoch)
    }
}

struct RejectCase: Sendable, CustomTestStringConvertible {
    let name: String
    let record: WireRecord
    let reason: String
    var testDescription: String { name }
}

private func binary(dropping: String? = nil, replacing: (String, String)? = nil, value: [UInt8]? = Array("{}".utf8)) -> WireRecord {
    var r = CloudEvent.encode(sampleEvent)
    r.value = value
    if let dropping { r.headers.removeAll { $0.name == dropping } }
    if let (n, v) = replacing, let i = r.headers.firstIndex(where: { $0.name == n }) { r.headers[i] = WireHeader(n, v) }
    return r
}

let rejectCases: [RejectCase] = [
    .init(
        name: "plain JSON message",
        record: WireRecord(key: nil, value: Array("{}".utf8), headers: [WireHeader("content-type", "application/json")]),
        reason: "not a CloudEvent"),
    .init(name: "no headers at all", record: WireRecord(key: nil, value: nil), reason: "not a CloudEvent"),
    .init(name: "spec version 0.3", record: binary(replacing: ("ce_specversion", "0.3")), reason: "specversion 0.3"),
    .init(name: "missing id", record: binary(dropping: "ce_id"), reason: "ce_id"),
    .init(name: "missing source", record: binary(dropping: "ce_source"), reason: "ce_source"),
    .init(name: "missing type", record: binary(dropping: "ce_type"), reason: "ce_type"),
    .init(name: "bad time", record: binary(replacing: ("ce_time", "29/11/2026")), reason: "RFC 3339"),
    .init(name: "payload not JSON", record: binary(value: Array("{oops".utf8)), reason: "not JSON"),
    .init(name: "non-JSON content type", record: binary(replacing: ("content-type", "text/plain")), reason: "content-type"),
    .init(
        name: "structured without type",
        record: WireRecord(
            key: nil, value: (["specversion": "1.0", "id": "1", "source": "s"] as JSON).encoded(),
            headers: [WireHeader("content-type", "application/cloudevents+json")]), reason: "type"),
    .init(
        name: "structured not an object",
        record: WireRecord(key: nil, value: Array("[1]".utf8), headers: [WireHeader("content-type", "application/cloudevents+json")]),
        reason: "not a JSON object"),
]

@Test(arguments: rejectCases)
func cloudEventDecodingRejectsWithAReason(_ c: RejectCase) {
    do {
        _ = try CloudEvent.decode(c.record)
        Issue.record("\(c.name) was accepted")
    } catch {
        #expect(error.reason.contains(c.reason), "\(error.reason)")
    }
}

@Test func missingTimeFallsBackToReceipt() throws {
    let at = Date(timeIntervalSince1970: 100)
    #expect(try CloudEvent.decode(binary(dropping: "ce_time"), receivedAt: at).timestamp == at)
}

@Test func sourceStateSealsTheSecret() throws {
    let sealer = try SecretSealer(base64Key: SecretSealer.generateKey())
    let state = SourceState(
        key: "stripe.webhook", sourceId: "stripe", params: ["connect": false], active: true,
        url: "https://example.test/sources/stripe.webhook", secret: "whsec_abc",
        data: ["endpointId": "we_1"], registered: ["event": ["price.created"]],
        lastError: RegistrationFailure(message: "timeout", at: Date(timeIntervalSince1970: 5), attempts: 2),
        updatedAt: Date(timeIntervalSince1970: 10))
    let r = try state.record(sealer: sealer)
    #expect(r.keyString == "stripe.webhook")
    let text = String(decoding: try #require(r.value), as: UTF8.self)
    #expect(!text.contains("whsec_abc"))
    let json = try JSON(parsing: try #require(r.value))
    #expect(json["v"] == 1 && json["sealedSecret"]?.stringValue != nil && json["secret"] == nil)
    #expect(try SourceState(record: r, sealer: sealer) == state)
    // Another key cannot open it; a tampered seal fails.
    let other = try SecretSealer(base64Key: SecretSealer.generateKey())
    #expect(throws: (any Error).self) { try SourceState(record: r, sealer: other) }
    let sealed = try sealer.seal("s3cret")
    let body = String(sealed.drop { $0 != ":" }.dropFirst())
    var bytes = Array(try #require(Data(base64Encoded: body)))
    bytes[bytes.count - 1] ^= 1
    #expect(throws: SecretSealer.Failure.self) { try sealer.unseal(sealer.currentKeyId + ":" + Data(bytes).base64EncodedString()) }
    #expect(try sealer.unseal(sealed) == "s3cret")
    #expect(throws: SecretSealer.Failure.self) { try SecretSealer(base64Key: Data([1, 2, 3]).base64EncodedString()) }
    #expect(throws: SecretSealer.Failure.self) { try SecretSealer.fromEnvironment([:]) }
    #expect(throws: WireFormatError.self) { try SourceState(record: WireRecord(key: nil, value: nil), sealer: sealer) }
}

@Test func runRecordRoundTripsAndRejectsOtherVersions() throws {
    let run = RunRecord(
        runId: "run_1", jobId: "j", jobVersion: "1.0.0", eventKey: "stripe.com/evt_1", eventId: "evt_1",
        eventName: "price.created", source: "stripe.com", status: .failed, attempt: 2,
        logs: [RunLogLine(time: Date(timeIntervalSince1970: 1), level: "info", message: "hi", metadata: ["a": "b"])],
        tasks: [TaskRecord(runId: "run_1", key: "k", status: .completed, output: ["x": 1], startedAt: Date(timeIntervalSince1970: 1))],
        properties: [RunProperty(label: "Currency", text: "usd")], error: "boom",
        startedAt: Date(timeIntervalSince1970: 1), finishedAt: Date(timeIntervalSince1970: 2))
    let r = try run.record()
    #expect(r.keyString == "stripe.com/evt_1/j")
    #expect(try RunRecord(record: r) == run)
    var j = try JSON(parsing: try #require(r.value)).objectValue!
    #expect(j["status"] == "failed" && j["runId"] == "run_1" && j["attempt"] == 2)
    j["v"] = 2
    #expect(throws: WireFormatError.self) { try RunRecord(record: WireRecord(key: nil, value: JSON.object(j).encoded())) }
}

@Test func dlqRecordKeepsTheOriginalAndWhy() throws {
    let original = CloudEvent.encode(sampleEvent)
    let dead = DLQRecord(
        original: original, reason: "task 'charge' failed", jobId: "j", runId: "run_1", attempts: 5,
        failedAt: Date(timeIntervalSince1970: 7))
    let r = dead.record()
    #expect(r.key == original.key && r.value == original.value)
    #expect(Array(r.headers.prefix(original.headers.count)) == original.headers)
    #expect(r.headerString("tributary_dlq_reason") == "task 'charge' failed")
    let back = try DLQRecord(record: r)
    #expect(back == dead)
    #expect(back.original == original)
    #expect(throws: WireFormatError.self) { try DLQRecord(record: original) }
}

@Test func wireRecordCodableUsesBase64() throws {
    let r = WireRecord(key: [0, 255], value: Array("v".utf8), headers: [WireHeader("h", [1, 2])])
    let j = try JSON(encoding: r)
    #expect(j == ["key": "AP8=", "value": "dg==", "headers": [["name": "h", "value": "AQI="]]])
    #expect(try j.decode(as: WireRecord.self) == r)
}

@Test func binaryModeContentTypesAreReadAsMediaTypes() throws {
    let event = EventRecord(id: "ct-1", name: "order.paid", source: "shop", payload: ["total": 3])
    func decoded(_ contentType: String) throws -> EventRecord {
        var record = CloudEvent.encode(event)
        record.headers.removeAll { $0.name == "content-type" }
        record.headers.append(WireHeader("content-type", contentType))
        return try CloudEvent.decode(record)
    }
    // JSON in any case, with parameters and blanks, and any `+json` type.
    for json in ["application/json", " Application/JSON ; charset=utf-8", "text/json", "application/vnd.shop+json", "APPLICATION/JSON\t"] {
        #expect(try decoded(json).payload == ["total": 3], "\(json)")
    }
    for other in ["text/plain", "application/jsonx", "application/xml; charset=json", ""] {
        #expect(throws: WireFormatError.self, "\(other)") { try decoded(other) }
    }
}
