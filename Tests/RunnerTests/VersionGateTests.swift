import Foundation
import Testing
import Tributary
@testable import TributaryRunner

/// The version gate and the job directory it reads: which version of a job runs, without Kafka.
@Suite("Which version decides")
struct VersionGateTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func declaration(_ job: String, _ version: String, events: [String] = ["mix"]) -> TriggerDeclaration {
        TriggerDeclaration(jobId: job, jobName: job, version: version, source: nil, eventSource: "probe.test", events: events, filter: .all)
    }

    static func presence(
        _ runner: String, started: Date = t0, expires: Date = t0.addingTimeInterval(15),
        _ jobs: [(String, String, Bool)]
    ) -> RunnerPresence {
        RunnerPresence(
            runnerId: runner, host: "h", startedAt: started, heartbeatAt: started, expiresAt: expires,
            jobs: jobs.map { .init(declaration: declaration($0.0, $0.1), active: $0.2) })
    }

    static func directory(_ presences: [RunnerPresence], declarations: [TriggerDeclaration] = [], now: Date = t0) throws -> JobDirectory {
        var snapshot: [String: [UInt8]] = [:]
        for p in presences { snapshot[p.key] = try p.record().value }
        for d in declarations { snapshot[d.jobId] = try d.record().value }
        snapshot["garbage"] = Array("not json".utf8)
        return JobDirectory(snapshot: snapshot, now: now)
    }

    @Test("alone, or beside runners of the same version, a runner consumes")
    func sameVersionConsumes() throws {
        let gate = VersionGate(jobId: "x", version: "1.0.0", runnerId: "me")
        #expect(gate.decide(try Self.directory([])) == .consume)
        #expect(
            gate.decide(
                try Self.directory([
                    Self.presence("me", [("x", "1.0.0", true)]),
                    Self.presence("peer", [("x", "1.0.0", true)]),
                ])) == .consume)
    }

    @Test("a newer live version makes an older runner yield from the time the newer one started; numeric order, not text")
    func newerVersionWins() throws {
        let gate = VersionGate(jobId: "x", version: "1.9.0", runnerId: "me")
        let started = Self.t0.addingTimeInterval(-3)
        let directory = try Self.directory([
            Self.presence("new", started: started, [("x", "1.10.0", false)]),
            Self.presence("other", [("y", "9", true)]),
        ])
        #expect(gate.decide(directory) == .yield(to: "1.10.0", since: started))
    }

    @Test("the newest version waits while an older one is still active, and consumes once it is not (or its runner expired)")
    func newestWaitsForOlder() throws {
        let gate = VersionGate(jobId: "x", version: "2", runnerId: "me")
        #expect(gate.decide(try Self.directory([Self.presence("old", [("x", "1", true)])])) == .waitForOlder(runners: ["old"]))
        #expect(gate.decide(try Self.directory([Self.presence("old", [("x", "1", false)])])) == .consume)
        let expired = Self.presence("old", expires: Self.t0.addingTimeInterval(-1), [("x", "1", true)])
        #expect(gate.decide(try Self.directory([expired])) == .consume)
    }

    @Test(
        "the directory keeps live presence only and gives the registrar every live version plus the last declaration of jobs nobody hosts")
    func effectiveDeclarations() throws {
        let live1 = Self.presence("a", [("x", "1", false)])
        let live2 = Self.presence("b", [("x", "2", true)])
        let dead = Self.presence("c", expires: Self.t0.addingTimeInterval(-1), [("x", "3", true)])
        let directory = try Self.directory(
            [live1, live2, dead],
            declarations: [Self.declaration("x", "2", events: ["mix", "extra"]), Self.declaration("z", "1")])
        #expect(directory.live.map(\.runnerId) == ["a", "b"])
        #expect(directory.newestLive("x")?.version == "2")
        #expect(directory.newestLive("z") == nil)
        #expect(directory.effectiveDeclarations.map { "\($0.jobId)@\($0.version)" } == ["x@1", "x@2", "z@1"])
    }

    @Test(
        "versions order by their numeric parts",
        arguments: [
            ("1.0.0", "1.0.1", -1), ("1.10", "1.9", 1), ("2", "1.9.9", 1), ("1.0", "1", 0), ("1.0.0-beta", "1.0.0-alpha", 1),
        ])
    func versionOrder(_ a: String, _ b: String, _ expected: Int) {
        #expect(JobVersion.compare(a, b) == expected)
        #expect(JobVersion.compare(b, a) == -expected)
    }

    @Test("start positions read and write latest, earliest and RFC 3339 times; anything else is refused")
    func startPositions() throws {
        #expect(StartPosition("latest") == .latest)
        #expect(StartPosition("earliest") == .earliest)
        #expect(StartPosition("2026-01-02T03:04:05Z") == .time(Date(timeIntervalSince1970: 1_767_323_045)))
        #expect(StartPosition("yesterday") == nil)
        let data = try JSONEncoder().encode([StartPosition.time(Date(timeIntervalSince1970: 1_767_323_045))])
        #expect(String(decoding: data, as: UTF8.self) == #"["2026-01-02T03:04:05Z"]"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([StartPosition].self, from: Data(#"["soon"]"#.utf8)) }
    }
}
