import Foundation
import Testing
import Tributary

/// The `<p>.commands` wire format: commands and results on one topic, told apart by `type`.
@Suite struct CommandRecordTests {
    let issuedAt = Date(timeIntervalSince1970: 1_795_983_631.25)

    @Test func aCommandRoundTripsKeyedByItsTarget() throws {
        let command = CommandRecord(
            kind: .setSecret, target: "webhooks.resend", arguments: ["sealedSecret": "c2VhbGVk"],
            issuedBy: "ana@laptop", issuedAt: issuedAt, id: "cmd_1")
        let record = try command.record()
        #expect(record.keyString == "webhooks.resend")
        #expect(
            try JSON(parsing: try #require(record.value)) == [
                "v": 1, "type": "command", "id": "cmd_1", "kind": "set-secret", "target": "webhooks.resend",
                "issuedAt": "2026-11-29T20:20:31.250Z", "issuedBy": "ana@laptop", "arguments": ["sealedSecret": "c2VhbGVk"],
            ])
        #expect(try CommandTopicRecord(record: record) == .command(command))
        #expect(command.sealedSecret == "c2VhbGVk")
    }

    @Test func aResultRoundTripsWithTheCommandsKey() throws {
        let command = CommandRecord.clearSecret(source: "stripe.webhook", issuedBy: "console")
        let result = command.result(ok: false, message: "there is no source stripe.webhook", by: "registrar@host", at: issuedAt)
        let record = try result.record()
        #expect(record.keyString == (try command.record()).keyString)
        #expect(try JSON(parsing: try #require(record.value))["type"] == "result")
        #expect(try CommandTopicRecord(record: record) == .result(result))
    }

    @Test func anUnknownKindIsReadSoThatItCanBePassedOver() throws {
        let rewind = CommandRecord(
            kind: "rewind", target: "stripe-on-price", arguments: ["to": "2026-11-01T00:00:00Z"],
            issuedBy: "ana@laptop", issuedAt: issuedAt)
        guard case .command(let read) = try CommandTopicRecord(record: try rewind.record()) else {
            Issue.record("not read as a command")
            return
        }
        #expect(read.kind.rawValue == "rewind")
        #expect(read.arguments["to"] == "2026-11-01T00:00:00Z")
    }

    @Test(arguments: [
        (
            #"{"v":2,"type":"command","kind":"set-secret","target":"k","id":"c","issuedAt":"2026-11-29T20:20:31Z","issuedBy":"x"}"#,
            "version 2"
        ),
        (#"{"v":1,"type":"order","kind":"set-secret","target":"k"}"#, "unknown command record type order"),
        (#"{"v":1,"type":"command","kind":"set-secret","target":"k"}"#, "without id"),
        (#"{"v":1,"type":"result","kind":"set-secret","target":"k","commandId":"c"}"#, "without commandId, ok"),
        ("not json", "not valid"),
    ])
    func malformedRecordsAreRefusedSayingWhy(value: String, reason: String) {
        #expect {
            try CommandTopicRecord(record: WireRecord(key: Array("k".utf8), value: Array(value.utf8)))
        } throws: { error in
            (error as? WireFormatError)?.reason.contains(reason) == true
        }
    }
}
