import Foundation
import TributaryKafka
import TestSupport
import Testing
import Tributary
import TributaryRunner

/// Runners in processes of their own (`RunnerProbe`), killed and restarted.
@Suite("Runners in separate processes", .serialized, .tags(.processes), .notInFastRun)
struct RunnerProcessTests {
    /// The partitions every consuming job of a probe holds, as it last printed them.
    static func assignment(_ lines: [String]) -> Set<Int32>? {
        guard let last = lines.last(where: { $0.hasPrefix("assigned ") }) else { return nil }
        return Set(last.dropFirst("assigned".count).trimmingCharacters(in: .whitespaces).split(separator: ",").compactMap { Int32($0) })
    }

    /// The partitions one job's subscription in a probe holds, as it last printed them.
    static func assignment(_ lines: [String], job: String) -> Set<Int32>? {
        let prefix = "assigned-job \(job)"
        guard let last = lines.last(where: { $0 == prefix || $0.hasPrefix(prefix + " ") }) else { return nil }
        return Set(last.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces).split(separator: ",").compactMap { Int32($0) })
    }

    static func sinkLines(_ path: String) -> [String] {
        (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("runner-test-\(UUID().uuidString)-\(name)").path
    }

    static func event(_ name: String, _ id: String) -> EventRecord {
        EventRecord(id: id, name: name, source: "probe.test", payload: ["n": .string(id)])
    }

    @Test("a runner killed (SIGKILL) inside a job's second task is finished by another runner without repeating the first task")
    func killedRunnerResumes() async throws {
        try await withTributaryCluster(prefix: "p") { cluster, topics in
            let sink = Self.temporaryPath("sink")
            let gate = Self.temporaryPath("gate")
            defer { try? FileManager.default.removeItem(atPath: sink); try? FileManager.default.removeItem(atPath: gate) }
            let probe = productURL("RunnerProbe")
            let first = try ChildProcess(probe, [cluster.bootstrapServers, "p", sink, "first", gate])
            try await eventually("the first runner holds every partition", timeout: .seconds(30)) {
                Self.assignment(first.lines) == [0, 1, 2, 3]
            }
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            try await publisher.send(Self.event("two.step", "k1"))
            try await eventually("the first runner is inside the second task") {
                Self.sinkLines(sink).contains("second-start first k1")
            }
            first.kill()
            #expect(FileManager.default.createFile(atPath: gate, contents: Data()))

            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let second = try ChildProcess(probe, [cluster.bootstrapServers, "p", sink, "second", gate])
            try await eventually("the second runner finished the run", timeout: .seconds(60)) {
                Self.sinkLines(sink).contains("second-done second k1")
            }
            let lines = Self.sinkLines(sink)
            #expect(lines.filter { $0.hasPrefix("first ") } == ["first first k1"], "the first task ran again: \(lines)")
            try await eventually("the run succeeded on attempt 2") {
                runs.runs.contains { $0.jobId == "probe-two-step" && $0.status == .succeeded && $0.attempt == 2 }
            }
            let done = runs.runs.last { $0.jobId == "probe-two-step" }!
            #expect(done.tasks.map(\.key) == ["first", "second"])
            #expect(done.tasks.allSatisfy { $0.status == .completed })
            second.terminate()
            #expect(second.exitCode == 0)
            #expect(second.lines.last == "stopped")
            await runs.close()
            await publisher.producer.shutdown()
        }
    }

    @Test("a run waiting 10 s whose runner is killed (SIGKILL) resumes once, on another runner, without repeating its first task")
    func killedRunnersWaitingRunResumesElsewhere() async throws {
        try await withTributaryCluster(prefix: "p") { cluster, topics in
            let sink = Self.temporaryPath("sink")
            defer { try? FileManager.default.removeItem(atPath: sink) }
            let probe = productURL("RunnerProbe")
            // 10 s: the kill must come while the run waits, also when a loaded machine takes seconds to show
            // the waiting record (a 2 s wait could end first, and the first runner would rightly finish it).
            let options = ["jobs=probe-wait", "pause=10"]
            let first = try ChildProcess(probe, [cluster.bootstrapServers, "p", sink, "first", "/nonexistent"] + options)
            try await eventually("the first runner holds every partition", timeout: .seconds(30)) {
                Self.assignment(first.lines) == [0, 1, 2, 3]
            }
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            try await publisher.send(Self.event("wait.step", "w1"))
            try await eventually("the first runner ran the task before the wait") {
                Self.sinkLines(sink).contains("before first w1")
            }
            try await eventually("the run is recorded waiting") { runs.runs.contains { $0.status == .waiting && $0.eventId == "w1" } }
            first.kill()
            let before = Self.sinkLines(sink)
            try #require(before == ["before first w1"], "the first runner went on before the kill: \(before)")
            let second = try ChildProcess(probe, [cluster.bootstrapServers, "p", sink, "second", "/nonexistent"] + options + ["log=info"])
            do {
                try await eventually("the second runner resumed the run", timeout: .seconds(90)) {
                    Self.sinkLines(sink).contains("after second w1")
                }
            } catch {
                let records = runs.runs.filter { $0.eventId == "w1" }.map { "\($0.status) attempt \($0.attempt) \($0.tasks.map(\.key))" }
                Issue.record(
                    "sink \(Self.sinkLines(sink)); w1's records \(records); the second runner's output:\n\((second.lines + second.errorLines).suffix(60).joined(separator: "\n"))"
                )
                throw error
            }
            try await eventually("the run succeeded") { runs.runs.contains { $0.eventId == "w1" && $0.status == .succeeded } }
            let lines = Self.sinkLines(sink)
            #expect(lines == ["before first w1", "after second w1"], "the first task repeated or the run resumed twice: \(lines)")
            let done = try #require(runs.runs.last { $0.eventId == "w1" })
            #expect(done.tasks.map(\.key) == ["before", "pause"] && done.tasks.allSatisfy { $0.status == .completed })
            second.terminate()
            #expect(second.exitCode == 0)
            await runs.close()
            await publisher.producer.shutdown()
        }
    }

    @Test("concurrency 1 per key holds across two runner processes (12 partitions, 10 keys) and through a rebalance")
    func concurrencyPerKeyAcrossRunners() async throws {
        try await withTributaryCluster(prefix: "p", partitions: 12) { cluster, topics in
            let sink = Self.temporaryPath("sink")
            defer { try? FileManager.default.removeItem(atPath: sink) }
            let probe = productURL("RunnerProbe")
            let options = ["jobs=probe-conc"]
            let first = try ChildProcess(probe, [cluster.bootstrapServers, "p", sink, "first", "/nonexistent"] + options)
            try await eventually("the first runner holds every partition", timeout: .seconds(30)) {
                Self.assignment(first.lines) == Set(0..<12)
            }
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            func event(_ n: Int) -> EventRecord {
                EventRecord(id: "c\(n)", name: "conc", source: "probe.test", payload: ["key": .string("k\(n % 10)")])
            }
            try await publisher.sendAll((0..<100).map(event))
            try await eventually("the first runner ran some") { Self.sinkLines(sink).count >= 20 }
            let second = try ChildProcess(probe, [cluster.bootstrapServers, "p", sink, "second", "/nonexistent"] + options)
            try await eventually("the runners split the partitions", timeout: .seconds(60)) {
                let a = Self.assignment(first.lines) ?? []
                let b = Self.assignment(second.lines) ?? []
                return !a.isEmpty && !b.isEmpty && a.union(b) == Set(0..<12)
            }
            try await publisher.sendAll((100..<200).map(event))
            try await eventually("all 200 runs succeeded", timeout: .seconds(120)) {
                Set(runs.runs.filter { $0.jobId == "probe-conc" && $0.status == .succeeded }.map(\.eventId)).count == 200
            }
            let lines = Self.sinkLines(sink)
            #expect(lines.count == 200, "a run ran twice: \(lines.count) lines")
            #expect(lines.contains { $0.hasPrefix("conc second") }, "the second runner ran none")
            var succeeded: [String: RunRecord] = [:]
            for run in runs.runs where run.jobId == "probe-conc" && run.status == .succeeded { succeeded[run.runId] = run }
            for (key, mine) in Dictionary(grouping: succeeded.values, by: { $0.flowKey ?? "?" }) {
                let sorted = mine.sorted { $0.startedAt < $1.startedAt }
                for (a, b) in zip(sorted, sorted.dropFirst()) {
                    #expect(b.startedAt >= a.finishedAt!, "two runs of \(key) at once: \(a.eventId) and \(b.eventId)")
                }
            }
            #expect(Set(succeeded.values.compactMap(\.flowKey)) == Set((0..<10).map { "k\($0)" }))
            first.terminate()
            second.terminate()
            await runs.close()
            await publisher.producer.shutdown()
        }
    }

    @Test("two runners split 1,000 events, one joining while events flow, and every (job, event) succeeds exactly once")
    func twoRunnersSplitTheLoad() async throws {
        try await withTributaryCluster(prefix: "p") { cluster, topics in
            let sink = Self.temporaryPath("sink")
            defer { try? FileManager.default.removeItem(atPath: sink) }
            let probe = productURL("RunnerProbe")
            let a = try ChildProcess(probe, [cluster.bootstrapServers, "p", sink, "a", "/nonexistent"])
            try await eventually("the first runner holds every partition", timeout: .seconds(30)) {
                Self.assignment(a.lines) == [0, 1, 2, 3]
            }
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            let ids = (0..<1000).map { "c\($0)" }
            // The second runner joins while the events arrive: partitions move with runs in flight.
            let b = try ChildProcess(probe, [cluster.bootstrapServers, "p", sink, "b", "/nonexistent"])
            for batch in stride(from: 0, to: 1000, by: 50) {
                try await publisher.sendAll(ids[batch..<batch + 50].map { Self.event("count", $0) })
                try await Task.sleep(for: .milliseconds(250))
            }
            try await eventually("for each job, the two runners hold disjoint halves of the partitions", timeout: .seconds(40)) {
                ["probe-count-a", "probe-count-b"].allSatisfy { job in
                    guard let x = Self.assignment(a.lines, job: job), let y = Self.assignment(b.lines, job: job) else { return false }
                    return !x.isEmpty && !y.isEmpty && x.isDisjoint(with: y) && x.union(y) == [0, 1, 2, 3]
                }
            }
            let expected = Set(ids.flatMap { ["probe-count-a \($0)", "probe-count-b \($0)"] })
            try await eventually("every (job, event) ran", timeout: .seconds(60)) {
                Self.sinkLines(sink).count >= 2000
            }
            let lines = Self.sinkLines(sink).map { $0.split(separator: " ").map(String.init) }
            #expect(lines.count == 2000, "some (job, event) ran more than once")
            #expect(Set(lines.map { "\($0[1]) \($0[3])" }) == expected)
            let byRunner = Dictionary(grouping: lines, by: { $0[2] }).mapValues(\.count)
            #expect((byRunner["a"] ?? 0) > 0 && (byRunner["b"] ?? 0) > 0, "one runner did everything: \(byRunner)")

            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            try await eventually("2,000 succeeded run records", timeout: .seconds(30)) {
                runs.runs.filter { $0.status == .succeeded }.count >= 2000
            }
            let succeeded = runs.runs.filter { $0.status == .succeeded }
            #expect(succeeded.count == 2000)
            #expect(Set(succeeded.map { "\($0.jobId) \($0.eventId)" }) == expected)
            a.terminate()
            b.terminate()
            #expect(a.exitCode == 0 && b.exitCode == 0)
            await runs.close()
            await publisher.producer.shutdown()
        }
    }
}
