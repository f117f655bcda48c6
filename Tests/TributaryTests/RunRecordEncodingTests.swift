import Foundation
import Testing

@testable import Tributary

/// `RunRecord.record()` writes its JSON by hand: byte for byte what the Codable encoder wrote before.
@Suite struct RunRecordEncodingTests {
    static let t0 = Date(timeIntervalSince1970: 1_764_547_200.123)

    static var trivial: RunRecord {
        RunRecord(
            runId: "run_1", jobId: "job", jobVersion: "1", eventKey: "stripe/evt_1", eventId: "evt_1", eventName: "price.created",
            source: "stripe", status: .started, attempt: 1, startedAt: t0)
    }

    static var full: RunRecord {
        var record = trivial
        record.status = .waiting
        record.attempt = 3
        record.error = "boom: \"quoted\", a/slash, a\nnewline, é and 😀"
        record.finishedAt = t0.addingTimeInterval(1.5)
        record.logs = [RunLogLine(time: t0, level: "info", message: "hello \\ world", metadata: ["b": "2", "a": "1"])]
        record.tasks = [
            TaskRecord(
                runId: "run_1", key: "charge", status: .completed, output: ["amount": 2900, "ok": true], startedAt: t0, finishedAt: t0),
            TaskRecord(
                runId: "run_1", key: "wait", status: .pending, startedAt: t0, resumeAt: t0.addingTimeInterval(60),
                waitFor: EventWait(
                    options: [.init(names: ["order.shipped"], source: "shop")], since: t0, deadline: t0.addingTimeInterval(60))),
        ]
        record.properties = [RunProperty(label: "Price", text: "$29", url: "https://example.com/p/1")]
        record.event = EventRecord(id: "evt_1", name: "price.created", source: "stripe", timestamp: t0, payload: ["id": "price_1"])
        record.wait = RunRecord.Wait(task: "wait", until: t0.addingTimeInterval(60))
        record.reason = "throttled: 2 per 2s"
        record.flowKey = "a/b"
        record.idempotencyKey = "order-1"
        record.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        return record
    }

    @Test(arguments: [trivial, full])
    func theValueIsWhatTheCodableEncoderWrites(record: RunRecord) throws {
        let written = try record.record().value ?? []
        let codable = Array(try JSONCoding.encoder.encode(record))
        #expect(written == codable, "\(String(decoding: written, as: UTF8.self))\nvs\n\(String(decoding: codable, as: UTF8.self))")
        #expect(try RunRecord(record: record.record()) == record)
    }

    @Test func everyStatusAndAControlCharacterReadBackTheSame() throws {
        for status in [RunRecord.Status.started, .succeeded, .failed, .deadLettered, .waiting, .cancelled, .skipped] {
            var record = Self.trivial
            record.status = status
            record.error = "tab\there, bell \u{07}, backspace \u{08}"
            let back = try RunRecord(record: record.record())
            #expect(back == record)
        }
    }
}

/// The formats a run record's fields are written in, written without intermediate strings.
@Suite struct RunRecordFieldFormatTests {
    @Test func rfc3339FormatsUTCWithMillisecondsWhenThereAreAny() {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_764_547_200.25)) == "2025-12-01T00:00:00.250Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_764_547_259.9996)) == "2025-12-01T00:01:00Z", "rounds up a whole second")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: -1.5)) == "1969-12-31T23:59:58.500Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 253_402_300_800)) == "10000-01-01T00:00:00Z")
        for seconds in [0.0, 1_000_000_000.007, 1_764_547_200.123, 4_102_444_799.999] {
            let date = Date(timeIntervalSince1970: seconds)
            let back = RFC3339.date(from: RFC3339.string(from: date))!
            #expect(abs(back.timeIntervalSince(date)) < 0.0006)
        }
    }

    @Test func runIdsAreTheHexOfTheFirstHalfOfTheDigest() {
        let id = RunContext.runId(eventKey: "stripe/evt_1", jobId: "job")
        #expect(id == "run_d5d829491a0150c1ff4f06bfd02e9fda", "SHA-256 of the event key, a zero byte and the job id")
        #expect(id.dropFirst(4).allSatisfy { "0123456789abcdef".contains($0) })
        #expect(id == RunContext.runId(eventKey: "stripe/evt_1", jobId: "job"))
        #expect(id != RunContext.runId(eventKey: "stripe/evt_1", jobId: "job2"))
    }
}
