import Foundation
import Testing
import Tributary
import TributaryConsole

/// The console's copy of an erased event (`tributary erase` records a completed `erase` on
/// `<p>.audit`, which the console follows): runs, attempts, deliveries and dead letters, in the
/// database file itself, also when the event's old records arrive again after the erasure.
@Suite struct ConsoleErasureTests {
    static let marker = "card_4242_customer_jane_doe"

    /// A finished run of `event` whose payload and logs hold ``marker`` (for evt_1).
    static func run(_ runId: String, event: String, status: RunRecord.Status, attempt: Int) -> RunRecord {
        // Only evt_1 (the one erased) carries the marker.
        let marker = event == "evt_1" ? Self.marker : "kept"
        var run = ConsoleFixtures.run(runId, event: event, status: status, attempt: attempt, logs: ["charged \(marker)"])
        run.event = EventRecord(
            id: event, name: "price.created", source: "stripe.com", payload: ["customer": .string(marker)])
        return run
    }

    static func delivery(_ event: String, body: String, offset: Int64) -> ProjectedRecord {
        let delivery = DeliveryRecord(
            receivedAt: Date(timeIntervalSince1970: 1_800_000_000), sourceKey: "stripe.webhook", outcome: .accepted, status: 200,
            size: body.utf8.count, eventIds: [event], body: body)
        return ProjectedRecord(
            change: .delivery(delivery), topic: ConsoleFixtures.topics.deliveries.name, partition: 0, offset: offset)
    }

    static func deadLetter(_ event: String, offset: Int64) -> ProjectedRecord {
        let original = WireRecord(key: Array("stripe.com/\(event)".utf8), value: Array("{\"customer\":\"\(marker)\"}".utf8))
        let letter = DLQRecord(original: original, reason: "boom", jobId: "stripe-on-price", runId: "run_\(event)", attempts: 3)
        return ProjectedRecord(
            change: .deadLetter(ProjectedDeadLetter(letter: letter, partition: 0, offset: offset)),
            topic: ConsoleFixtures.topics.deadLetters.name, partition: 0, offset: offset)
    }

    static func erase(_ event: String, outcome: AuditRecord.Outcome = .ok, offset: Int64) -> ProjectedRecord {
        let entry = AuditRecord(
            actor: "dpo@laptop", action: "erase", target: "stripe.com/\(event)", outcome: outcome, message: "erased",
            details: ["eventId": .string(event), "source": "stripe.com"])
        return ProjectedRecord(change: .audit(entry), topic: ConsoleFixtures.topics.audit.name, partition: 0, offset: offset)
    }

    /// Every byte of the database's files (the main file, and the write-ahead log if there is one).
    static func databaseBytes(_ path: String) -> String {
        [path, path + "-wal"].compactMap { FileManager.default.contents(atPath: $0) }
            .map { String(decoding: $0, as: UTF8.self) }.joined()
    }

    @Test("an erase on the audit trail erases the event's runs (every attempt), delivery bodies and dead letters, in the file too")
    func eraseRemovesTheConsolesCopy() throws {
        let (path, cleanup) = ConsoleFixtures.databasePath()
        defer { cleanup() }
        let store = try ConsoleStore(path: path)
        try store.apply([
            try ConsoleFixtures.projected(Self.run("run_a", event: "evt_1", status: .failed, attempt: 1), offset: 0),
            try ConsoleFixtures.projected(Self.run("run_a", event: "evt_1", status: .succeeded, attempt: 2), offset: 1),
            try ConsoleFixtures.projected(Self.run("run_b", event: "evt_2", status: .succeeded, attempt: 1), offset: 2),
            Self.delivery("evt_1", body: "{\"customer\":\"\(Self.marker)\"}", offset: 0),
            Self.delivery("evt_2", body: "{\"customer\":\"kept\"}", offset: 1),
            Self.deadLetter("evt_1", offset: 0),
        ])
        let before = Self.databaseBytes(path)
        #expect(before.contains(Self.marker), "the fixture's marker is in the file before the erasure")

        // A refused erase changes nothing; a completed one erases.
        try store.apply([Self.erase("evt_1", outcome: .refused, offset: 0)])
        #expect(try store.run("run_a")?.record.logs.isEmpty == false)
        try store.apply([Self.erase("evt_1", offset: 1)])

        let erased = try #require(try store.run("run_a"))
        #expect(erased.record.status == .succeeded && erased.record.attempt == 2, "status and attempts stay")
        #expect(erased.record.logs.isEmpty && erased.record.event?.payload == .null)
        #expect(erased.attempts.count == 2 && erased.attempts.allSatisfy { $0.logs.isEmpty && $0.event?.payload == .null })
        let kept = try #require(try store.run("run_b"))
        #expect(kept.record.logs.count == 1, "another event's run is untouched")
        let bodies = Dictionary(uniqueKeysWithValues: try store.deliveries().map { ($0.delivery.eventIds.first ?? "", $0.delivery.body) })
        #expect(bodies["evt_1"] == .some(nil) && bodies["evt_2"] == "{\"customer\":\"kept\"}")
        #expect(try store.deadLetters().isEmpty)
        #expect(try store.audit().map(\.outcome) == [.ok, .refused], "both entries are on the audit page, newest first")
        #expect(try store.audit(action: "erase", limit: 1).first?.actor == "dpo@laptop")

        #expect(!Self.databaseBytes(path).contains(Self.marker), "no erased byte is left in the database's files")
    }

    @Test("records of an erased event that arrive later (a rebuild, a late copy) are stored erased, also after a restart")
    func laterRecordsArriveErased() throws {
        let (path, cleanup) = ConsoleFixtures.databasePath()
        defer { cleanup() }
        do {
            let store = try ConsoleStore(path: path)
            // A rebuild reads <p>.audit ahead of the other topics: the erasure comes first.
            try store.apply([Self.erase("evt_1", offset: 0)])
        }
        let store = try ConsoleStore(path: path)
        try store.apply([
            try ConsoleFixtures.projected(Self.run("run_a", event: "evt_1", status: .succeeded, attempt: 1), offset: 0),
            Self.delivery("evt_1", body: "{\"customer\":\"\(Self.marker)\"}", offset: 0),
            Self.deadLetter("evt_1", offset: 0),
            try ConsoleFixtures.projected(Self.run("run_b", event: "evt_2", status: .succeeded, attempt: 1), offset: 1),
        ])
        #expect(try store.run("run_a")?.record.logs.isEmpty == true)
        #expect(try store.run("run_b")?.record.logs.isEmpty == false)
        #expect(try store.deliveries().first?.delivery.body == nil)
        #expect(try store.deadLetters().isEmpty)
        #expect(!Self.databaseBytes(path).contains(Self.marker))
    }
}
