import Foundation
import Testing
import Tributary
import TributaryKafka

/// Scheduled jobs against the embedded cluster: the registrar's leader emits the ticks of
/// `probe-tick` (`interval(1 s)`, declared by `RunnerProbe` processes) and the runners run them.
@Suite(.tags(.processes), .notInFastRun, .serialized) struct ScheduleTests {
    /// One line of the probe's sink: `tick <runner> <scheduled time> <catch-up> <run id>`.
    struct TickRun: Hashable {
        var runner: String
        var scheduledAt: String
        var isCatchUp: Bool
        var runId: String
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("schedule-\(name)-\(UUID().uuidString)").path
    }

    static func tickRuns(_ path: String) -> [TickRun] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ").map(String.init)
            guard parts.count == 5, parts[0] == "tick" else { return nil }
            return TickRun(runner: parts[1], scheduledAt: parts[2], isCatchUp: parts[3] == "true", runId: parts[4])
        }
    }

    /// Every tick event committed on `<p>.events`, in the order of the topic's partitions.
    static func tickEvents(_ harness: RegistrarHarness) async throws -> [ScheduledTick] {
        let messages = try await harness.records(harness.topics.events.name)
        return messages.compactMap { message in
            guard let event = try? CloudEvent.decode(WireRecord(message)), event.name == "tributary.schedule.tick" else { return nil }
            return try? ScheduledTick.specification.parse(event.payload)
        }.sorted { $0.scheduledAt < $1.scheduledAt }
    }

    static func seconds(_ ticks: [ScheduledTick]) -> [Int64] {
        ticks.map { Int64($0.scheduledAt.timeIntervalSince1970.rounded()) }
    }

    static func probe(_ harness: RegistrarHarness, sink: String, name: String, catchUp: Int) throws -> ChildProcess {
        try ChildProcess(
            productURL("RunnerProbe"),
            [
                harness.cluster.bootstrapServers, RegistrarHarness.prefix, sink, name, "/nonexistent", "jobs=probe-tick",
                "tick-catchup=\(catchUp)",
            ])
    }

    @Test("an interval(1 s) job with two runner processes and a registrar failover runs each tick exactly once, none skipped")
    func eachTickOnceAcrossAFailover() async throws {
        try await RegistrarHarness.with { harness in
            let sink = Self.temporaryPath("sink")
            defer { try? FileManager.default.removeItem(atPath: sink) }
            let a = try Self.probe(harness, sink: sink, name: "a", catchUp: 100)
            let b = try Self.probe(harness, sink: sink, name: "b", catchUp: 100)
            try await eventually("both runners consume probe-tick", timeout: .seconds(60)) {
                a.lines.contains("consuming probe-tick") && b.lines.contains("consuming probe-tick")
            }
            let catalog = try harness.catalog()
            let first = try await harness.start(harness.configuration(), catalog: catalog, name: "first")
            try await eventually("the first registrar's ticks run", timeout: .seconds(60)) { Self.tickRuns(sink).count >= 3 }
            let second = try await harness.start(harness.configuration(), catalog: catalog, name: "second")
            await first.stop()
            let stoppedAt = Date()
            try await eventually("the second registrar leads", timeout: .seconds(60)) { second.isLeader }
            try await eventually("ticks scheduled 3 s after the failover ran", timeout: .seconds(60)) {
                Self.tickRuns(sink).contains { (RFC3339.date(from: $0.scheduledAt) ?? .distantPast) > stoppedAt.addingTimeInterval(3) }
            }
            await second.stop()

            let ticks = try await Self.tickEvents(harness)
            let seconds = Self.seconds(ticks)
            let distinct = Array(Set(seconds)).sorted()
            let span = (distinct.first ?? 0)...(distinct.last ?? 0)
            #expect(distinct == Array(span), "ticks skipped: \(seconds)")
            #expect(distinct.count >= 6)
            // (On the 2.0.2 mock a tick the first leader had in flight when it was revoked may show twice on
            // the topic: see eachTickOnceAcrossAKilledLeader. It runs once.)
            print("ticks \(distinct.count), on the topic twice \(seconds.count - distinct.count)")
            let expected = Set(ticks.map { RFC3339.string(from: $0.scheduledAt) })
            try await eventually("every emitted tick ran", timeout: .seconds(60)) {
                Set(Self.tickRuns(sink).map(\.scheduledAt)) == expected
            }
            let runs = Self.tickRuns(sink)
            let times = runs.map(\.scheduledAt)
            #expect(times.count == Set(times).count, "a tick ran twice: \(times.sorted())")
            #expect(Set(runs.map(\.runId)).count == runs.count)
            let runners = Set(runs.map(\.runner))
            #expect(runners == ["a", "b"], "one runner ran every tick: \(runners)")
            a.terminate()
            b.terminate()
            #expect(a.exitCode == 0 && b.exitCode == 0)
        }
    }

    @Test("registrar processes: the scheduling leader is killed (SIGKILL) and the other takes over; each tick runs once, none skipped")
    func eachTickOnceAcrossAKilledLeader() async throws {
        try await RegistrarHarness.with { harness in
            let sink = Self.temporaryPath("sink")
            defer { try? FileManager.default.removeItem(atPath: sink) }
            let runner = try Self.probe(harness, sink: sink, name: "r", catchUp: 100)
            try await eventually("the runner consumes probe-tick", timeout: .seconds(60)) { runner.lines.contains("consuming probe-tick") }
            let executable = productURL("registrar")
            let a = try ChildProcess(executable, environment: harness.childEnvironment(), errors: .merged)
            let b = try ChildProcess(executable, environment: harness.childEnvironment(), errors: .merged)
            defer { a.kill(); b.kill() }
            try await eventually("a registrar schedules", timeout: .seconds(60)) {
                (a.lines + b.lines).contains { $0.contains("scheduling") }
            }
            let aLeads = a.lines.contains { $0.contains("scheduling") }
            let (leader, follower) = aLeads ? (a, b) : (b, a)
            try await eventually("ticks run", timeout: .seconds(60)) { Self.tickRuns(sink).count >= 3 }
            leader.kill()
            let killedAt = Date()
            try await eventually("the other registrar schedules", timeout: .seconds(60)) {
                follower.lines.contains { $0.contains("scheduling") }
            }
            try await eventually("ticks scheduled 3 s after the takeover ran", timeout: .seconds(60)) {
                Self.tickRuns(sink).contains { (RFC3339.date(from: $0.scheduledAt) ?? .distantPast) > killedAt.addingTimeInterval(3) }
            }
            #expect(follower.terminate() == 0)

            let ticks = try await Self.tickEvents(harness)
            let seconds = Self.seconds(ticks)
            let distinct = Array(Set(seconds)).sorted()
            let span = (distinct.first ?? 0)...(distinct.last ?? 0)
            #expect(distinct == Array(span), "ticks skipped: \(seconds)")
            let killedSecond = Int64(killedAt.timeIntervalSince1970)
            #expect((distinct.last ?? 0) > killedSecond + 2, "no tick after the kill: \(seconds)")
            // The 2.0.2 mock cluster neither fences a replaced transactional producer nor hides an aborted
            // transaction from readers (no transaction markers), so a tick the deposed leader had in flight
            // may show twice on its <p>.events; a real broker hides it. Its run id is the same: it runs once.
            print("ticks \(distinct.count), on the topic twice \(seconds.count - distinct.count)")
            let expected = Set(ticks.map { RFC3339.string(from: $0.scheduledAt) })
            try await eventually("every emitted tick ran", timeout: .seconds(60)) {
                Set(Self.tickRuns(sink).map(\.scheduledAt)) == expected
            }
            let times = Self.tickRuns(sink).map(\.scheduledAt)
            #expect(times.count == Set(times).count, "a tick ran twice: \(times.sorted())")
            runner.terminate()
            #expect(runner.exitCode == 0)
        }
    }

    @Test("after a downtime of several ticks, the next leader catches up exactly catchUp of them, the latest, with their scheduled times")
    func catchUpAfterDowntime() async throws {
        try await RegistrarHarness.with { harness in
            let sink = Self.temporaryPath("sink")
            defer { try? FileManager.default.removeItem(atPath: sink) }
            let runner = try Self.probe(harness, sink: sink, name: "r", catchUp: 2)
            try await eventually("the runner consumes probe-tick", timeout: .seconds(60)) { runner.lines.contains("consuming probe-tick") }
            let catalog = try harness.catalog()
            let first = try await harness.start(harness.configuration(), catalog: catalog, name: "first")
            try await eventually("the first registrar's ticks run", timeout: .seconds(60)) { Self.tickRuns(sink).count >= 2 }
            await first.stop()
            let before = Self.seconds(try await Self.tickEvents(harness))
            let lastBefore = try #require(before.last)
            // Downtime: at least six ticks pass with no registrar.
            try await eventually("six ticks passed", timeout: .seconds(20)) {
                Date().timeIntervalSince1970 > Double(lastBefore) + 6.5
            }
            let second = try await harness.start(harness.configuration(), catalog: catalog, name: "second")
            try await eventually("the second registrar leads", timeout: .seconds(60)) { second.isLeader }
            let leading = Date()
            try await eventually("ticks after the second registrar led ran", timeout: .seconds(60)) {
                Self.tickRuns(sink).contains { (RFC3339.date(from: $0.scheduledAt) ?? .distantPast) > leading.addingTimeInterval(2) }
            }
            await second.stop()

            let ticks = try await Self.tickEvents(harness)
            let after = ticks.filter { Int64($0.scheduledAt.timeIntervalSince1970.rounded()) > lastBefore }
            let caughtUp = after.filter(\.isCatchUp)
            let caughtUpSeconds = Self.seconds(caughtUp)
            let afterSeconds = Self.seconds(after)
            #expect(caughtUp.count == 2, "caught up: \(caughtUpSeconds)")
            // The caught-up ticks are the first the new leader emitted and the latest missed ones: the
            // ticks from them on are contiguous; those between the last tick before and them never ran.
            #expect(Array(afterSeconds.prefix(2)) == caughtUpSeconds)
            let start = afterSeconds.first ?? 0
            #expect(afterSeconds == Array(start..<(start + Int64(afterSeconds.count))))
            #expect(start > lastBefore + 3, "the skipped ticks were emitted: \(afterSeconds) after \(lastBefore)")
            #expect(caughtUp.first?.previousScheduledAt.map { Int64($0.timeIntervalSince1970.rounded()) } == lastBefore)
            let expected = Set(ticks.map { RFC3339.string(from: $0.scheduledAt) })
            try await eventually("every emitted tick ran", timeout: .seconds(60)) {
                Set(Self.tickRuns(sink).map(\.scheduledAt)) == expected
            }
            let runs = Self.tickRuns(sink)
            #expect(runs.count == expected.count, "a tick ran twice")
            // (The first registrar caught up too: the ticks between the runner's declaration and its term.)
            let lastBeforeText = RFC3339.string(from: Date(timeIntervalSince1970: Double(lastBefore)))
            let flagged = Set(runs.filter { $0.isCatchUp && $0.scheduledAt > lastBeforeText }.map(\.scheduledAt))
            #expect(flagged == Set(caughtUp.map { RFC3339.string(from: $0.scheduledAt) }))
            runner.terminate()
            #expect(runner.exitCode == 0)
        }
    }
}
