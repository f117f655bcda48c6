import Foundation
import Testing
import Tributary
@testable import TributaryRunner

/// The run history's fold, fed records directly (the mock cluster keeps only ~5 MB per partition).
@Suite("Bounded run history")
struct RunHistoryTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func record(
        _ event: String, job: String = "x", _ status: RunRecord.Status, attempt: Int = 1,
        finished: Date? = nil, tasks: [TaskRecord] = [], logs: [RunLogLine] = []
    ) throws -> WireRecord {
        let started = (finished ?? now).addingTimeInterval(-1)
        return try RunRecord(
            runId: "run_\(event)", jobId: job, jobVersion: "1", eventKey: "s/\(event)", eventId: event,
            eventName: "e", source: "s", status: status, attempt: attempt, logs: logs, tasks: tasks,
            startedAt: started, finishedAt: status == .started ? nil : (finished ?? now)
        ).record()
    }

    static func apply(_ fold: inout RunHistoryFold, _ record: WireRecord) {
        fold.apply(key: record.key!, value: record.value, headers: record.headers.map { ($0.name, $0.value) }, now: now)
    }

    @Test(
        "finished runs inside the window count; older ones stop counting and are handed back to tombstone; other jobs' records are passed over"
    )
    func window() throws {
        var fold = RunHistoryFold(jobId: "x", window: .seconds(3600))
        Self.apply(&fold, try Self.record("recent", .succeeded, finished: Self.now.addingTimeInterval(-60)))
        Self.apply(&fold, try Self.record("old", .succeeded, finished: Self.now.addingTimeInterval(-7200)))
        Self.apply(&fold, try Self.record("dead", .deadLettered, finished: Self.now.addingTimeInterval(-10)))
        Self.apply(&fold, try Self.record("recent", job: "y", .started))
        #expect(fold.finishedCount == 2)
        #expect(fold.unfinishedCount == 0)
        guard case .finished = fold.lookup("s/recent/x", now: Self.now) else { Issue.record("recent run not finished"); return }
        guard case .finished = fold.lookup("s/dead/x", now: Self.now) else { Issue.record("dead-lettered run not final"); return }
        guard case .unknown = fold.lookup("s/old/x", now: Self.now) else { Issue.record("expired run still counts"); return }
        guard case .unknown = fold.lookup("s/recent/y", now: Self.now) else { Issue.record("another job's run was kept"); return }
        // A run that finished inside the window stops counting once the window passes it.
        guard case .unknown = fold.lookup("s/recent/x", now: Self.now.addingTimeInterval(3600)) else {
            Issue.record("run counts after the window"); return
        }
        #expect(fold.takeExpired() == ["s/old/x"])
        #expect(fold.takeExpired() == [])
    }

    @Test("unfinished runs keep their attempt and completed tasks, never expire, and a later final record or tombstone replaces them")
    func unfinished() throws {
        var fold = RunHistoryFold(jobId: "x", window: .seconds(60))
        let task = TaskRecord(runId: "run_a", key: "charge", status: .completed, output: .string("ch_1"), startedAt: Self.now)
        let ancient = Self.now.addingTimeInterval(-86_400 * 365)
        Self.apply(&fold, try Self.record("a", .failed, attempt: 2, finished: ancient, tasks: [task]))
        Self.apply(&fold, try Self.record("b", .started))
        guard case .unfinished(let entry) = fold.lookup("s/a/x", now: Self.now) else { Issue.record("unfinished run lost"); return }
        #expect(entry.attempt == 2 && entry.tasks.map(\.key) == ["charge"])
        Self.apply(&fold, try Self.record("a", .succeeded))
        guard case .finished = fold.lookup("s/a/x", now: Self.now) else { Issue.record("final record ignored"); return }
        Self.apply(&fold, WireRecord(key: Array("s/b/x".utf8), value: nil))
        guard case .unknown = fold.lookup("s/b/x", now: Self.now) else { Issue.record("tombstone ignored"); return }
        #expect(fold.unfinishedCount == 0 && fold.finishedCount == 1)
    }

    @Test("records of older runners (no headers; dead letter told by the last log line) are read from their JSON")
    func olderRecords() throws {
        var fold = RunHistoryFold(jobId: "x", window: .seconds(3600))
        var legacy = try Self.record(
            "l", .failed, attempt: 3, logs: [RunLogLine(time: Self.now, level: "error", message: RunRecord.deadLetteredMessage)])
        legacy.headers = []
        Self.apply(&fold, legacy)
        var succeeded = try Self.record("s", .succeeded)
        succeeded.headers = []
        Self.apply(&fold, succeeded)
        guard case .finished = fold.lookup("s/l/x", now: Self.now) else { Issue.record("legacy dead letter not final"); return }
        guard case .finished = fold.lookup("s/s/x", now: Self.now) else { Issue.record("legacy success not final"); return }
        Self.apply(&fold, WireRecord(key: Array("s/bad/x".utf8), value: Array("{".utf8)))
        #expect(fold.unreadable == 1)
    }

    @Test("the restore's summary of a record (JSON parser, tasks decoded on lookup) reads what the full decode reads")
    func summary() throws {
        let task = TaskRecord(
            runId: "run_t", key: "charge", status: .completed, output: ["id": "ch_1", "n": 2], startedAt: Self.now,
            finishedAt: Self.now)
        let dead = [RunLogLine(time: Self.now, level: "error", message: RunRecord.deadLetteredMessage)]
        for record in [
            try Self.record("a", .started, tasks: [task]), try Self.record("b", .failed, attempt: 2, tasks: [task, task]),
            try Self.record("c", .succeeded), try Self.record("d", .deadLettered), try Self.record("e", .failed, logs: dead),
        ] {
            let full = try RunRecord(record: record)
            let summary = try RunRecord.Summary(record: record)
            #expect(summary.status == full.status && summary.attempt == full.attempt && summary.isFinal == full.isFinal)
            #expect(summary.startedAt == full.startedAt && summary.finishedAt == full.finishedAt)
            #expect(try summary.decodeTasks() == full.tasks)
        }
        #expect(throws: (any Error).self) { try RunRecord.Summary(record: WireRecord(key: nil, value: Array(#"{"v":2}"#.utf8))) }
        #expect(throws: (any Error).self) { try RunRecord.Summary(record: WireRecord(key: nil, value: Array("[]".utf8))) }
    }

    @Test("a final record carries its status and end time in headers")
    func headers() throws {
        let record = try Self.record("h", .deadLettered, finished: Self.now)
        #expect(record.headerString(RunRecord.statusHeader) == "dead-lettered")
        #expect(record.headerString(RunRecord.finishedAtHeader) == "1800000000")
        let started = try Self.record("h", .started)
        #expect(started.headerString(RunRecord.statusHeader) == "started")
        #expect(started.header(RunRecord.finishedAtHeader) == nil)
    }
}
