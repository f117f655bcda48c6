import Foundation
import Testing
import Tributary
import TributaryConsole

/// The SQLite projection: a batch and its offsets commit together; a reopened file resumes; a new
/// file starts from the beginning; the list's filters; retention.
@Suite struct ConsoleStoreTests {
    @Test("offsets commit with their batch, and a reopened database resumes from them")
    func restartResumes() throws {
        let (path, cleanup) = ConsoleFixtures.databasePath()
        defer { cleanup() }
        do {
            let store = try ConsoleStore(path: path)
            #expect(try store.offsets().isEmpty, "a new database starts every topic from its beginning")
            try store.apply([
                try ConsoleFixtures.projected(ConsoleFixtures.run("run_a", status: .started), partition: 0, offset: 0),
                try ConsoleFixtures.projected(ConsoleFixtures.run("run_b"), partition: 1, offset: 4),
                try ConsoleFixtures.projected(ConsoleFixtures.run("run_a", status: .succeeded), partition: 0, offset: 1),
            ])
        }
        let reopened = try ConsoleStore(path: path)
        #expect(try reopened.offsets() == [ConsoleFixtures.topics.runs.name: [0: 2, 1: 5]])
        let runs = try reopened.runs(RunFilter())
        #expect(runs.map(\.runId).sorted() == ["run_a", "run_b"])
        #expect(runs.first { $0.runId == "run_a" }?.status == "succeeded", "the later record of a run wins")
        // A skipped record still moves its partition's offset, so it is not read again.
        try reopened.apply([ProjectedRecord(change: .skip("unreadable"), topic: ConsoleFixtures.topics.runs.name, partition: 1, offset: 5)])
        #expect(try reopened.offsets()[ConsoleFixtures.topics.runs.name]?[1] == 6)
    }

    @Test("a batch that fails to apply leaves neither its rows nor its offsets")
    func atomicBatch() throws {
        let (path, cleanup) = ConsoleFixtures.databasePath()
        defer { cleanup() }
        let store = try ConsoleStore(path: path)
        try store.apply([try ConsoleFixtures.projected(ConsoleFixtures.run("run_ok"), offset: 0)])
        // A dead letter whose record cannot be encoded cannot exist; a NaN start time makes SQLite
        // refuse the NOT NULL column instead.
        var broken = ConsoleFixtures.run("run_broken")
        broken.startedAt = Date(timeIntervalSince1970: .nan)
        let change = ProjectionChange.run(ProjectedRun(record: broken, partition: 0, json: Array("{}".utf8)))
        let failing = [
            try ConsoleFixtures.projected(ConsoleFixtures.run("run_lost"), offset: 1),
            ProjectedRecord(change: change, topic: ConsoleFixtures.topics.runs.name, partition: 0, offset: 2),
        ]
        #expect(throws: (any Error).self) { try store.apply(failing) }
        #expect(try store.runs(RunFilter()).map(\.runId) == ["run_ok"])
        #expect(try store.offsets()[ConsoleFixtures.topics.runs.name]?[0] == 1)
    }

    @Test("every attempt's last record is kept; the run shows the latest")
    func attempts() throws {
        let (path, cleanup) = ConsoleFixtures.databasePath()
        defer { cleanup() }
        let store = try ConsoleStore(path: path)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        try store.apply([
            try ConsoleFixtures.projected(ConsoleFixtures.run("run_r", status: .started, attempt: 1, startedAt: start), offset: 0),
            try ConsoleFixtures.projected(ConsoleFixtures.run("run_r", status: .failed, attempt: 1, startedAt: start), offset: 1),
            try ConsoleFixtures.projected(
                ConsoleFixtures.run("run_r", status: .succeeded, attempt: 2, startedAt: start.addingTimeInterval(5), logs: ["done"]),
                offset: 2),
        ])
        let detail = try #require(try store.run("run_r"))
        #expect(detail.record.status == .succeeded && detail.record.attempt == 2 && detail.record.logs.map(\.message) == ["done"])
        #expect(detail.attempts.map(\.status) == [.failed, .succeeded])
        let summary = try #require(try store.runs(RunFilter()).first)
        #expect(summary.createdAt == start, "the list orders a run by its first attempt's start")
        #expect(try store.run("run_none") == nil)
    }

    @Test("the runs list filters by job, status, source, event id and time, newest first")
    func filters() throws {
        let (path, cleanup) = ConsoleFixtures.databasePath()
        defer { cleanup() }
        let store = try ConsoleStore(path: path)
        let base = Date(timeIntervalSince1970: 1_800_000_000)
        try store.apply([
            try ConsoleFixtures.projected(ConsoleFixtures.run("r1", job: "a", event: "e1", status: .succeeded, startedAt: base), offset: 0),
            try ConsoleFixtures.projected(
                ConsoleFixtures.run("r2", job: "b", event: "e2", status: .failed, startedAt: base.addingTimeInterval(10)), offset: 1),
            try ConsoleFixtures.projected(
                ConsoleFixtures.run(
                    "r3", job: "a", event: "e3", status: .failed, startedAt: base.addingTimeInterval(20), source: "github.com"),
                offset: 2),
        ])
        #expect(try store.runs(RunFilter()).map(\.runId) == ["r3", "r2", "r1"])
        #expect(try store.runs(RunFilter(job: "a")).map(\.runId) == ["r3", "r1"])
        #expect(try store.runs(RunFilter(status: "failed")).map(\.runId) == ["r3", "r2"])
        #expect(try store.runs(RunFilter(source: "github.com")).map(\.runId) == ["r3"])
        #expect(try store.runs(RunFilter(eventId: "e2")).map(\.runId) == ["r2"])
        #expect(try store.runs(RunFilter(since: base.addingTimeInterval(5))).map(\.runId) == ["r3", "r2"])
        #expect(try store.runs(RunFilter(before: base.addingTimeInterval(20), limit: 1)).map(\.runId) == ["r2"])
        #expect(try store.runs(RunFilter(job: "a", status: "succeeded")).map(\.runId) == ["r1"])
        #expect(try store.runs(RunFilter()).first?.note == "boom")
    }

    @Test("retention removes old runs, dead letters and deliveries, and keeps the rest")
    func retention() throws {
        let (path, cleanup) = ConsoleFixtures.databasePath()
        defer { cleanup() }
        let store = try ConsoleStore(path: path)
        let old = Date(timeIntervalSince1970: 1_000)
        let recent = Date(timeIntervalSince1970: 2_000)
        let topics = ConsoleFixtures.topics
        let letter = DLQRecord(original: WireRecord(key: Array("k".utf8), value: nil), reason: "r", jobId: "j", runId: "old", failedAt: old)
        try store.apply([
            try ConsoleFixtures.projected(ConsoleFixtures.run("old", startedAt: old), offset: 0),
            try ConsoleFixtures.projected(ConsoleFixtures.run("new", startedAt: recent), offset: 1),
            ProjectedRecord(
                change: .deadLetter(ProjectedDeadLetter(letter: letter, partition: 0, offset: 0)), topic: topics.deadLetters.name,
                partition: 0, offset: 0),
            ProjectedRecord(
                change: .delivery(DeliveryRecord(receivedAt: old, sourceKey: "s", outcome: .accepted, status: 200, size: 1)),
                topic: topics.deliveries.name, partition: 0, offset: 0),
            ProjectedRecord(
                change: .delivery(DeliveryRecord(receivedAt: recent, sourceKey: "s", outcome: .stale, reason: "old", status: 401, size: 1)),
                topic: topics.deliveries.name, partition: 0, offset: 1),
        ])
        #expect(
            try store.prune(before: Date(timeIntervalSince1970: 1_500)) == 3, "a run (its attempts go with it), a dead letter, a delivery")
        #expect(try store.runs(RunFilter()).map(\.runId) == ["new"])
        #expect(try store.run("old") == nil)
        #expect(try store.deadLetters().isEmpty)
        #expect(try store.deliveries().map(\.delivery.outcome) == [.stale])
        #expect(try store.deliveries(refusedOnly: true).count == 1)
    }

    @Test("jobs with their live runners and run counts; a tombstone removes a job; sources by key")
    func jobsAndSources() throws {
        let (path, cleanup) = ConsoleFixtures.databasePath()
        defer { cleanup() }
        let store = try ConsoleStore(path: path)
        let topics = ConsoleFixtures.topics
        let declaration = TriggerDeclaration(
            jobId: "stripe-on-price", jobName: "On price", version: "1.0.0", source: nil, eventSource: "stripe.com",
            events: ["price.created"],
            filter: EventFilter([:]))
        let now = Date()
        let live = RunnerPresence(
            runnerId: "r1", host: "h1", startedAt: now, heartbeatAt: now, expiresAt: now.addingTimeInterval(60),
            jobs: [.init(declaration: declaration, active: true)])
        let expired = RunnerPresence(
            runnerId: "r0", host: "h0", startedAt: now, heartbeatAt: now, expiresAt: now.addingTimeInterval(-1),
            jobs: [.init(declaration: declaration, active: true)])
        let records = [declaration.record, live.record, expired.record]
        var batch: [ProjectedRecord] = []
        for (offset, make) in records.enumerated() {
            let message = ConsoleFixtures.message(try make(), topic: topics.triggers.name, offset: Int64(offset))
            batch.append(
                ProjectedRecord(
                    change: ConsoleFixtures.projection.change(for: message), topic: topics.triggers.name, partition: 0,
                    offset: Int64(offset)))
        }
        batch.append(try ConsoleFixtures.projected(ConsoleFixtures.run("x", job: "stripe-on-price"), offset: 0))
        try store.apply(batch)
        let job = try #require(try store.jobs(now: now).first)
        #expect(job.declaration == declaration)
        #expect(job.runners.map(\.runnerId) == ["r1"], "an expired runner hosts nothing")
        #expect(job.runs == ["succeeded": 1])
        try store.apply([
            ProjectedRecord(change: .removeTrigger(key: "stripe-on-price"), topic: topics.triggers.name, partition: 0, offset: 3)
        ])
        #expect(try store.jobs(now: now).isEmpty)
    }
}
