import Foundation
import Testing
import Tributary

@testable import TributaryRunner

/// ``PendingWaits`` without a broker: which open waits an event ends.
@Suite struct PendingWaitsTests {
    static let t0 = Date(timeIntervalSince1970: 1_000_000)

    static func registration(_ run: String, job: String = "fulfil", order: String, task: String = "shipped") -> WaitRecord {
        WaitRecord(
            kind: .registration, jobId: job, runKey: run, runId: "run_\(run)", task: task, runsPartition: 1,
            wait: EventWait(
                options: [EventWait.Option(names: ["order.shipped"], source: "shop", filter: ["payload": ["orderId": [.string(order)]]])],
                since: t0, deadline: t0.addingTimeInterval(60)),
            at: t0)
    }

    static func shipped(_ order: String, source: String = "shop") -> EventRecord {
        EventRecord(id: "e-\(order)", name: "order.shipped", source: source, payload: ["orderId": .string(order)])
    }

    static func value(_ record: WaitRecord) throws -> [UInt8] { try #require(try record.record().value) }

    @Test func anEventEndsTheOpenWaitsWhoseFilterItMatchesWithinTheirWindow() throws {
        var waits = PendingWaits(jobs: ["fulfil"])
        let a = Self.registration("a", order: "o1")
        let b = Self.registration("b", order: "o2")
        waits.apply(key: a.key, value: try Self.value(a))
        waits.apply(key: b.key, value: try Self.value(b))
        #expect(waits.matches(jobId: "fulfil", event: Self.shipped("o1"), arrivedAt: Self.t0.addingTimeInterval(1)).map(\.runKey) == ["a"])
        #expect(waits.matches(jobId: "fulfil", event: Self.shipped("o3"), arrivedAt: Self.t0.addingTimeInterval(1)).isEmpty)
        #expect(waits.matches(jobId: "fulfil", event: Self.shipped("o1", source: "other"), arrivedAt: Self.t0).isEmpty)
        #expect(
            waits.matches(jobId: "fulfil", event: Self.shipped("o1"), arrivedAt: Self.t0.addingTimeInterval(-1)).isEmpty, "before since")
        #expect(
            waits.matches(jobId: "fulfil", event: Self.shipped("o1"), arrivedAt: Self.t0.addingTimeInterval(61)).isEmpty,
            "after the deadline")
        #expect(waits.openCount == 2)
    }

    @Test func aMatchOrATombstoneClosesTheWaitAndOtherJobsWaitsAreNotKept() throws {
        var waits = PendingWaits(jobs: ["fulfil"])
        let a = Self.registration("a", order: "o1")
        waits.apply(key: a.key, value: try Self.value(a))
        let match = a.matched(by: Self.shipped("o1"), arrivedAt: Self.t0)
        let applied = waits.apply(key: a.key, value: try Self.value(match))
        #expect(applied?.kind == .match)
        #expect(waits.matches(jobId: "fulfil", event: Self.shipped("o1"), arrivedAt: Self.t0).isEmpty)
        #expect(waits[a.key]?.event?.id == "e-o1")
        waits.apply(key: a.key, value: nil)
        #expect(waits[a.key] == nil)
        let other = Self.registration("x", job: "elsewhere", order: "o1")
        let otherJob = waits.apply(key: other.key, value: try Self.value(other))
        #expect(otherJob == nil)
        #expect(waits.openCount == 0)
        let junk = waits.apply(key: "junk", value: Array("not json".utf8))
        #expect(junk == nil)
    }
}
