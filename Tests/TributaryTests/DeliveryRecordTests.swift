import Foundation
import Testing
import Tributary

/// `<p>.deliveries` records: written by hand (not `JSONEncoder`), read by the `Codable` reader that
/// older consoles run.
@Suite struct DeliveryRecordTests {
    @Test("a delivery record round-trips through the Codable reader, with and without its optional fields")
    func roundTrip() throws {
        let full = DeliveryRecord(
            receivedAt: Date(timeIntervalSince1970: 1_800_000_000.5), sourceKey: "acme/website", outcome: .badSignature,
            reason: "no v1 signature matches \"é\" \\ /", status: 401, size: 1234, eventIds: ["evt_1", "evt_2"],
            body: "{\"a\":\"line\\nbreak\u{1}\"}", bodyTruncated: true, unrecorded: 7)
        let bare = DeliveryRecord(
            receivedAt: Date(timeIntervalSince1970: 1_800_000_000), sourceKey: "stripe.webhook", outcome: .accepted, status: 200, size: 0)
        for record in [full, bare] {
            let wire = try record.record()
            #expect(wire.keyString == record.sourceKey)
            let read = try DeliveryRecord(record: wire)
            #expect(read == record)
            let json = try JSON(parsing: wire.value ?? [])
            #expect(json["v"]?.numberValue == 1)
            #expect((json["reason"] == nil) == (record.reason == nil), "an absent optional is left out")
            // Byte for byte what the tree of the same fields encodes to (keys sorted, compact).
            var fields: [String: JSON] = [
                "v": .number(1), "receivedAt": .string(RFC3339.string(from: record.receivedAt)), "sourceKey": .string(record.sourceKey),
                "outcome": .string(record.outcome.rawValue), "status": .number(Double(record.status)),
                "size": .number(Double(record.size)), "eventIds": .array(record.eventIds.map(JSON.string)),
                "bodyTruncated": .bool(record.bodyTruncated), "unrecorded": .number(Double(record.unrecorded)),
            ]
            if let reason = record.reason { fields["reason"] = .string(reason) }
            if let body = record.body { fields["body"] = .string(body) }
            #expect(wire.value == JSON.object(fields).encoded(), "\(String(decoding: wire.value ?? [], as: UTF8.self))")
        }
    }
}
