import Foundation
import Testing
import Tributary

@testable import TributaryRunner

/// Run records across versions: the records of waiting and cancelled runs, read by this version's
/// restore and by the rules an older runner follows (it does not know the new statuses).
@Suite struct RecordCompatibilityTests {
    static let now = Date(timeIntervalSince1970: 2_000_000_000)

    static func record(_ status: RunRecord.Status, key: String = "shop/e1", job: String = "j") -> RunRecord {
        var record = RunRecord(
            runId: "run_1", jobId: job, jobVersion: "2", eventKey: key, eventId: "e1", eventName: "order.placed", source: "shop",
            status: status, attempt: 1, startedAt: now.addingTimeInterval(-10), finishedAt: now)
        record.event = EventRecord(id: "e1", name: "order.placed", source: "shop", timestamp: now, payload: ["orderId": "o1"])
        if status == .waiting {
            record.wait = RunRecord.Wait(task: "pause", until: now.addingTimeInterval(3600))
            record.tasks = [
                TaskRecord(runId: "run_1", key: "pause", status: .pending, startedAt: now, resumeAt: now.addingTimeInterval(3600))
            ]
        }
        if status == .cancelled { record.reason = "cancelled by event order.cancelled x1" }
        return record
    }

    static func apply(_ fold: inout RunHistoryFold, _ record: RunRecord) throws {
        let wire = try record.record()
        fold.apply(key: try #require(wire.key), value: wire.value, headers: wire.headers.map { ($0.name, $0.value) }, now: now)
    }

    @Test func aWaitingRunIsRestoredWithItsEventAndWaitAndARedeliveryOfItsEventIsPassedOver() throws {
        var fold = RunHistoryFold(jobId: "j", window: .seconds(3600))
        try Self.apply(&fold, Self.record(.waiting))
        let resumables = fold.resumables()
        #expect(resumables.map(\.key) == ["shop/e1/j"])
        let entry = try #require(resumables.first?.entry)
        #expect(entry.status == .waiting && entry.event?.payload == ["orderId": "o1"] && entry.wait?.task == "pause")
        #expect(entry.tasks.first?.resumeAt == Self.now.addingTimeInterval(3600))
        if case .resumable = fold.lookup("shop/e1/j", now: Self.now) {} else { Issue.record("a waiting run's event would run again") }
    }

    @Test func aWaitingRunNeverExpiresWithTheDedupWindowAndACancelledOneIsFinal() throws {
        var fold = RunHistoryFold(jobId: "j", window: .seconds(1))
        try Self.apply(&fold, Self.record(.waiting))
        let expired = fold.takeExpired()
        #expect(expired.isEmpty && fold.resumables().count == 1)
        var cancelled = RunHistoryFold(jobId: "j", window: .seconds(3600))
        try Self.apply(&cancelled, Self.record(.waiting))
        try Self.apply(&cancelled, Self.record(.cancelled))
        #expect(cancelled.resumables().isEmpty)
        if case .finished = cancelled.lookup("shop/e1/j", now: Self.now) {} else { Issue.record("a cancelled run is not final") }
        let header = try Self.record(.cancelled).record().headers.first { $0.name == RunRecord.statusHeader }
        #expect(header.map { String(decoding: $0.value, as: UTF8.self) } == "cancelled")
    }

    /// An older runner meets a status it does not know the way this one meets a status from a later
    /// version: the record is counted unreadable and skipped; nothing crashes and nothing runs.
    @Test func aStatusFromALaterVersionIsSkippedAsUnreadableNotRun() throws {
        let value = try #require(try Self.record(.waiting).record().value)
        let text = String(decoding: value, as: UTF8.self)
        let future = text.replacingOccurrences(of: "\"status\":\"waiting\"", with: "\"status\":\"paused\"")
        #expect(future != text)
        var fold = RunHistoryFold(jobId: "j", window: .seconds(3600))
        fold.apply(
            key: Array("shop/e1/j".utf8), value: Array(future.utf8), headers: [(RunRecord.statusHeader, Array("paused".utf8))],
            now: Self.now)
        #expect(fold.unreadable == 1)
        #expect(fold.resumables().isEmpty && fold.unfinishedCount == 0 && fold.finishedCount == 0)
        #expect(throws: WireFormatError.self) { try RunRecord(record: WireRecord(key: Array("k".utf8), value: Array(future.utf8))) }
    }

    /// A version-1 record (before waits) still reads, with no event and no wait.
    @Test func aRecordWithoutTheNewFieldsReads() throws {
        let old =
            #"{"v":1,"runId":"run_1","jobId":"j","jobVersion":"1","eventKey":"shop/e1","eventId":"e1","eventName":"order.placed","source":"shop","status":"started","attempt":1,"logs":[],"tasks":[],"properties":[],"startedAt":"2033-05-18T03:33:20Z"}"#
        let record = try RunRecord(record: WireRecord(key: Array("shop/e1/j".utf8), value: Array(old.utf8)))
        #expect(record.event == nil && record.wait == nil && !record.isResumable)
        #expect(record.traceparent == nil, "records of runners before tracing have no traceparent")
        var fold = RunHistoryFold(jobId: "j", window: .seconds(3600))
        fold.apply(key: Array("shop/e1/j".utf8), value: Array(old.utf8), headers: [], now: Self.now)
        if case .unfinished = fold.lookup("shop/e1/j", now: Self.now) {
        } else {
            Issue.record("an old unfinished run is not resumed from its event")
        }
    }

    /// A record's `traceparent` (the run span's trace context) is written and read back.
    @Test func aRecordCarriesItsTraceparent() throws {
        let context = RunContext(
            runId: "run_2", job: JobInfo(id: "j", name: "J", version: "1"),
            event: EventInfo(id: "e2", name: "order.placed", source: "shop", timestamp: Self.now), attempt: 1)
        var record = RunRecord(
            starting: context, event: EventRecord(id: "e2", name: "order.placed", source: "shop", timestamp: Self.now, payload: [:]))
        record.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        let wire = try record.record()
        let text = String(decoding: wire.value ?? [], as: UTF8.self)
        #expect(text.contains(#""traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01""#))
        let read = try RunRecord(record: wire)
        #expect(read.traceparent == record.traceparent)
    }

    // MARK: - The golden fixtures (Tests/Fixtures/records; see RecordFixtureTests), fed to the runner's readers

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/records")

    static func fixture(_ path: String) throws -> [UInt8] {
        let url = fixtures.appendingPathComponent(path)
        guard let data = FileManager.default.contents(atPath: url.path) else { throw WireFormatError("no fixture \(url.path)") }
        return Array(data)
    }

    /// Today's waiting run and the same run with a later version's fields: both restored as resumable
    /// with their event, wait and completed task.
    @Test(arguments: ["v1/run.json", "future/run.extra-fields.json"])
    func theRunnersRestoreReadsTodaysAndALaterVersionsRunRecord(_ path: String) throws {
        var fold = RunHistoryFold(jobId: "stripe-on-price", window: .seconds(3600))
        fold.apply(
            key: Array("stripe.com/evt_1/stripe-on-price".utf8), value: try Self.fixture(path),
            headers: [(RunRecord.statusHeader, Array("waiting".utf8))], now: Self.now)
        #expect(fold.unreadable == 0)
        let entry = try #require(fold.resumables().first?.entry)
        #expect(entry.status == .waiting && entry.event?.id == "evt_1" && entry.wait?.task == "pause")
        #expect(entry.tasks.first { $0.key == "notify" }?.output == ["sent": true])
    }

    /// A run record this runner cannot read (an unknown status or task status, version 2) is counted
    /// unreadable and skipped: nothing is resumed, finished or run from it, and the count says so (the
    /// restore logs it); the record stays on the topic for a runner that can read it.
    @Test(arguments: ["future/run.unknown-status.json", "future/run.unknown-task-status.json", "future/run.v2.json"])
    func aRunRecordTheRunnerCannotReadIsCountedNotRun(_ path: String) throws {
        var fold = RunHistoryFold(jobId: "stripe-on-price", window: .seconds(3600))
        fold.apply(key: Array("stripe.com/evt_1/stripe-on-price".utf8), value: try Self.fixture(path), headers: [], now: Self.now)
        let resumed = fold.resumables()
        if path.hasSuffix("unknown-task-status.json") {
            // The run's status is known: it is kept as unfinished. The task it cannot read runs again; the
            // completed one it can read is kept, so it is not repeated.
            #expect(fold.unreadable == 0 && fold.unfinishedCount == 1)
            #expect(resumed.first?.entry.tasks.map(\.key) == ["notify"])
        } else {
            #expect(fold.unreadable == 1)
            #expect(resumed.isEmpty && fold.unfinishedCount == 0 && fold.finishedCount == 0)
        }
    }

    /// Declarations and presence records of a later version: extra fields are ignored; a presence record
    /// of version 2 is left out (its runner counts as not live), a declaration with an unknown channel too.
    @Test func theJobDirectoryReadsLaterDeclarationsAndLeavesOutWhatItCannotRead() throws {
        let live = try Self.fixture("future/presence.extra-fields.json")
        let directory = JobDirectory(
            snapshot: [
                "stripe-on-price": try Self.fixture("future/trigger-declaration.extra-fields.json"),
                "daily-digest": try Self.fixture("future/trigger-declaration.unknown-channel.json"),
                "presence/runner-1": live,
                "presence/runner-2": try Self.fixture("future/presence.v2.json"),
            ], now: Date(timeIntervalSince1970: 1_796_000_010))
        #expect(directory.declarations.keys.sorted() == ["stripe-on-price"])
        #expect(directory.live.map(\.runnerId) == ["runner-1"])
    }
}
