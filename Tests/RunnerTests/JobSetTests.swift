import Foundation
import TributaryKafka
import Testing
import Tributary
import TributaryRunner

/// Runner processes with different job sets and versions on one cluster: each job is its own
/// subscriber, so every matching (job, event) runs exactly once whatever mix is deployed.
@Suite("Job sets and versions", .serialized, .tags(.processes), .notInFastRun)
struct JobSetTests {
    typealias P = RunnerProcessTests

    static func event(_ id: String, kind: String) -> EventRecord {
        EventRecord(id: id, name: "mix", source: "probe.test", payload: ["kind": .string(kind)])
    }

    /// `run <job> <version> <runner> <event id>` lines of the sink, for one job.
    static func runs(_ sink: String, job: String) -> [ProbeRun] {
        P.sinkLines(sink).compactMap { line -> ProbeRun? in
            let parts = line.split(separator: " ").map(String.init)
            guard parts.count == 5, parts[0] == "run", parts[1] == job else { return nil }
            return ProbeRun(version: parts[2], runner: parts[3], event: parts[4])
        }
    }

    static func probe(_ cluster: EmbeddedKafkaCluster, _ sink: String, _ name: String, _ options: [String]) throws -> ChildProcess {
        try ChildProcess(
            productURL("RunnerProbe"), [cluster.bootstrapServers, "p", sink, name, "/nonexistent"] + options,
            errors: .separate)
    }

    @Test(
        "two runner processes with different job sets (A: x; B: x and y) on one cluster: of 1,000 events matching both, x and y each ran each exactly once"
    )
    func differentJobSets() async throws {
        try await withTributaryCluster(prefix: "p") { cluster, topics in
            let sink = P.temporaryPath("sink")
            defer { try? FileManager.default.removeItem(atPath: sink) }
            let a = try Self.probe(cluster, sink, "a", ["jobs=probe-x", "start=latest"])
            let b = try Self.probe(cluster, sink, "b", ["jobs=probe-x,probe-y", "start=latest"])
            try await eventually("x is split between A and B, and B holds every partition of y", timeout: .seconds(40)) {
                guard let ax = P.assignment(a.lines, job: "probe-x"), let bx = P.assignment(b.lines, job: "probe-x"),
                    let by = P.assignment(b.lines, job: "probe-y")
                else { return false }
                return !ax.isEmpty && !bx.isEmpty && ax.isDisjoint(with: bx) && ax.union(bx) == [0, 1, 2, 3] && by == [0, 1, 2, 3]
            }
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            let ids = (0..<1000).map { "m\($0)" }
            for batch in stride(from: 0, to: ids.count, by: 100) {
                try await publisher.sendAll(ids[batch..<batch + 100].map { Self.event($0, kind: "a") })
            }
            try await eventually("every event ran x and y", timeout: .seconds(60)) {
                Self.runs(sink, job: "probe-x").count >= 1000 && Self.runs(sink, job: "probe-y").count >= 1000
            }
            let x = Self.runs(sink, job: "probe-x")
            let y = Self.runs(sink, job: "probe-y")
            #expect(x.count == 1000 && Set(x.map(\.event)) == Set(ids), "x did not run each event exactly once")
            #expect(y.count == 1000 && Set(y.map(\.event)) == Set(ids), "y did not run each event exactly once")
            #expect(Set(y.map(\.runner)) == ["b"], "y ran on a runner that does not host it")
            let xByRunner = Dictionary(grouping: x, by: \.runner).mapValues(\.count)
            #expect((xByRunner["a"] ?? 0) > 0 && (xByRunner["b"] ?? 0) > 0, "x was not shared: \(xByRunner)")
            #expect(a.terminate() == 0 && b.terminate() == 0)
            await publisher.producer.shutdown()
        }
    }

    @Test("a rolling deploy (A with x running, B with x and y joins, A stops) loses no run of x and runs y from its start position")
    func rollingDeploy() async throws {
        try await withTributaryCluster(prefix: "p") { cluster, topics in
            let sink = P.temporaryPath("sink")
            defer { try? FileManager.default.removeItem(atPath: sink) }
            let a = try Self.probe(cluster, sink, "a", ["jobs=probe-x", "start=latest"])
            try await eventually("A consumes x", timeout: .seconds(30)) { P.assignment(a.lines, job: "probe-x") == [0, 1, 2, 3] }
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            let feed = Feed(publisher, prefix: "r", kinds: ["a"])
            try await feed.publish(100)
            let beforeB = feed.ids
            let b = try Self.probe(cluster, sink, "b", ["jobs=probe-x,probe-y", "start=latest"])
            // Events keep flowing while B joins x's group and starts y.
            try await feed.publish(10)
            while P.assignment(b.lines, job: "probe-y") != [0, 1, 2, 3] {
                try await feed.publish(10)
                try await Task.sleep(for: .milliseconds(50))  // pacing the feed, not waiting for a result
            }
            let yReady = feed.published.count
            try await feed.publish(100)
            #expect(a.terminate() == 0)
            // A is gone: B takes all of x while events still arrive.
            for _ in 0..<10 { try await feed.publish(10) }
            try await eventually("B holds every partition of x", timeout: .seconds(30)) {
                P.assignment(b.lines, job: "probe-x") == [0, 1, 2, 3]
            }
            try await feed.publish(100)
            let published = feed.ids
            let afterY = Array(published[yReady...])
            try await eventually("x ran every event and y every event after its start", timeout: .seconds(60)) {
                Set(Self.runs(sink, job: "probe-x").map(\.event)).isSuperset(of: published)
                    && Set(Self.runs(sink, job: "probe-y").map(\.event)).isSuperset(of: afterY)
            }
            let x = Self.runs(sink, job: "probe-x").map(\.event)
            #expect(x.count == published.count, "x ran some event twice: \(x.count) runs of \(published.count) events")
            let y = Self.runs(sink, job: "probe-y").map(\.event)
            #expect(y.count == Set(y).count, "y ran some event twice")
            #expect(Set(y).isDisjoint(with: beforeB), "y started before its start position (latest at its first start)")
            #expect(b.terminate() == 0)
            await publisher.producer.shutdown()
        }
    }

    @Test("two versions of x whose filters differ, during an overlap: the newer one takes over, and no run it matches is lost or repeated")
    func versionOverlap() async throws {
        try await withTributaryCluster(prefix: "p") { cluster, topics in
            let sink = P.temporaryPath("sink")
            defer { try? FileManager.default.removeItem(atPath: sink) }
            let old = try Self.probe(cluster, sink, "old", ["jobs=probe-x", "x-version=1.0", "x-kinds=a"])
            try await eventually("v1 consumes x", timeout: .seconds(30)) { P.assignment(old.lines, job: "probe-x") == [0, 1, 2, 3] }
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            let feed = Feed(publisher, prefix: "v", kinds: ["a", "b"])
            try await feed.publish(100)
            let beforeNew = feed.published.count
            let new = try Self.probe(cluster, sink, "new", ["jobs=probe-x", "x-version=1.1", "x-kinds=a,b"])
            // The overlap: events flow while v1 hands over and v1.1 joins.
            while !(P.assignment(new.lines, job: "probe-x") == [0, 1, 2, 3] && old.lines.contains("idle probe-x")) {
                try await feed.publish(10)
                try await Task.sleep(for: .milliseconds(50))
            }
            try await feed.publish(100)
            let published = feed.published
            let wantedA = published.filter { $0.kind == "a" }.map(\.id)
            let wantedB = published[beforeNew...].filter { $0.kind == "b" }.map(\.id)
            try await eventually("every a-event and every b-event since v1.1 started ran", timeout: .seconds(60)) {
                let ran = Set(Self.runs(sink, job: "probe-x").map(\.event))
                return ran.isSuperset(of: wantedA) && ran.isSuperset(of: wantedB)
            }
            let runs = Self.runs(sink, job: "probe-x")
            let distinct = Set(runs.map(\.event)).count
            #expect(runs.count == distinct, "some event ran twice across the versions")
            let kinds = Dictionary(uniqueKeysWithValues: published.map { ($0.id, $0.kind) })
            let oldOnOld = runs.filter { $0.version == "1.0" }.allSatisfy { $0.runner == "old" }
            #expect(oldOnOld)
            let bByOld = runs.filter { kinds[$0.event] == "b" && $0.version != "1.1" }.count
            #expect(bByOld == 0, "v1 ran an event its filter does not match")
            let byNew = runs.filter { $0.version == "1.1" }.count
            #expect(byNew > 0)
            #expect(old.terminate() == 0 && new.terminate() == 0)
            await publisher.producer.shutdown()
        }
    }
}

/// One published test event: its id and payload kind.
struct FedEvent: Sendable {
    var id: String
    var kind: String
}

/// The events a test published, in order, each with its kind; publishing from the test's task only.
final class Feed: @unchecked Sendable {
    let publisher: Publisher
    let prefix: String
    let kinds: [String]
    private(set) var published: [FedEvent] = []

    init(_ publisher: Publisher, prefix: String, kinds: [String]) {
        self.publisher = publisher
        self.prefix = prefix
        self.kinds = kinds
    }

    var ids: [String] { published.map(\.id) }

    func publish(_ count: Int) async throws {
        let start = published.count
        var batch: [FedEvent] = []
        for index in start..<start + count { batch.append(FedEvent(id: "\(prefix)\(index)", kind: kinds[index % kinds.count])) }
        try await publisher.sendAll(batch.map { JobSetTests.event($0.id, kind: $0.kind) })
        published += batch
    }
}

/// A run a probe wrote to its sink.
struct ProbeRun: Sendable {
    var version: String
    var runner: String
    var event: String
}
