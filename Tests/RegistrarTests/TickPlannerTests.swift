import Foundation
import Testing
import Tributary

@testable import TributaryRegistrar

/// The scheduler's pure part: which ticks are due, given the declarations, `<p>.schedules` and the time.
@Suite struct TickPlannerTests {
    static func at(_ text: String) -> Date { RFC3339.date(from: text)! }
    static func times(_ ticks: [ScheduledTick]) -> [String] { ticks.map { RFC3339.string(from: $0.scheduledAt) } }

    static func job(_ id: String = "j", every seconds: Int64 = 60, catchUp: Int = 1, first: String = "2026-12-01T10:00:00Z") -> ScheduledJob
    {
        ScheduledJob(jobId: id, schedule: .interval(.seconds(seconds), catchUp: catchUp), firstDeclaredAt: at(first))
    }

    static func record(_ job: ScheduledJob, last: String) -> ScheduleRecord {
        ScheduleRecord(jobId: job.jobId, lastScheduledAt: at(last), lastEmittedAt: at(last), writtenAt: at(last), schedule: job.schedule)
    }

    @Test func aRunningTermEmitsEachDueTickOnceAndWakesForTheNext() {
        let job = Self.job()
        let planner = TickPlanner(termStart: Self.at("2026-12-01T10:00:30Z"))
        let first = planner.plan(jobs: [job], last: [:], now: Self.at("2026-12-01T10:01:00.020Z"))
        #expect(Self.times(first.ticks) == ["2026-12-01T10:01:00Z"])
        #expect(first.ticks.first?.isCatchUp == false)
        #expect(first.ticks.first?.previousScheduledAt == nil)
        #expect(first.wakeAt == Self.at("2026-12-01T10:02:00Z"))
        let written = Dictionary(uniqueKeysWithValues: first.records.map { ($0.jobId, $0) })
        // The same pass again (the term's memory after its commit) emits nothing.
        let again = planner.plan(jobs: [job], last: written, now: Self.at("2026-12-01T10:01:00.500Z"))
        #expect(again.ticks.isEmpty && again.records.isEmpty)
        // A late pass emits every tick since, on time (the term was leading), each with its previous tick.
        let late = planner.plan(jobs: [job], last: written, now: Self.at("2026-12-01T10:03:10Z"))
        #expect(Self.times(late.ticks) == ["2026-12-01T10:02:00Z", "2026-12-01T10:03:00Z"])
        let noneCatchUps = late.ticks.allSatisfy { !$0.isCatchUp }
        #expect(noneCatchUps)
        let previous = late.ticks.map { $0.previousScheduledAt.map(RFC3339.string(from:)) }
        #expect(previous == ["2026-12-01T10:01:00Z", "2026-12-01T10:02:00Z"])
        #expect(late.records.map(\.lastScheduledAt) == [Self.at("2026-12-01T10:03:00Z")])
    }

    @Test(arguments: [0, 1, 3])
    func ticksMissedBeforeTheTermAreCaughtUpAtMostCatchUpTimesTheLatestFirst(_ catchUp: Int) {
        let job = Self.job(catchUp: catchUp)
        // The last tick emitted was 10:05; no leader until 10:10:30.
        let planner = TickPlanner(termStart: Self.at("2026-12-01T10:10:30Z"))
        let plan = planner.plan(
            jobs: [job], last: ["j": Self.record(job, last: "2026-12-01T10:05:00Z")], now: Self.at("2026-12-01T10:10:31Z"))
        let expected = ["2026-12-01T10:07:00Z", "2026-12-01T10:08:00Z", "2026-12-01T10:09:00Z", "2026-12-01T10:10:00Z"].suffix(catchUp)
        #expect(Self.times(plan.ticks) == Array(expected))
        let allCatchUps = plan.ticks.allSatisfy { $0.isCatchUp }
        #expect(allCatchUps)
        // Skipped ticks are accounted for: the next pass does not emit them.
        #expect(plan.records.map(\.lastScheduledAt) == [Self.at("2026-12-01T10:10:00Z")])
        let lastEmitted = plan.records.first?.lastEmittedAt.map(RFC3339.string(from:))
        #expect(lastEmitted == (catchUp == 0 ? "2026-12-01T10:05:00Z" : "2026-12-01T10:10:00Z"))
        #expect(plan.ticks.first?.previousScheduledAt == (catchUp == 0 ? nil : Self.at("2026-12-01T10:05:00Z")))
        let written = Dictionary(uniqueKeysWithValues: plan.records.map { ($0.jobId, $0) })
        let next = planner.plan(jobs: [job], last: written, now: Self.at("2026-12-01T10:11:00.010Z"))
        #expect(Self.times(next.ticks) == ["2026-12-01T10:11:00Z"])
        #expect(next.ticks.first?.isCatchUp == false)
    }

    @Test func noTickBeforeTheFirstDeclarationAndNoneBeforeTheTermWithoutOne() {
        // Declared at 10:00:10, the first leader only at 10:03:30: 10:01…10:03 were missed, catch up 1.
        let job = Self.job(first: "2026-12-01T10:00:10Z")
        let planner = TickPlanner(termStart: Self.at("2026-12-01T10:03:30Z"))
        let plan = planner.plan(jobs: [job], last: [:], now: Self.at("2026-12-01T10:03:31Z"))
        #expect(Self.times(plan.ticks) == ["2026-12-01T10:03:00Z"])
        // Declared after the last tick: nothing due yet.
        let fresh = Self.job(first: "2026-12-01T10:03:20Z")
        let none = planner.plan(jobs: [fresh], last: [:], now: Self.at("2026-12-01T10:03:31Z"))
        #expect(none.ticks.isEmpty && none.records.isEmpty)
        #expect(none.wakeAt == Self.at("2026-12-01T10:04:00Z"))
        // A re-declared job (a newer first declaration than its last tick) starts again from the declaration.
        let redeclared = Self.job(first: "2026-12-01T10:03:20Z")
        let after = planner.plan(
            jobs: [redeclared], last: ["j": Self.record(redeclared, last: "2026-12-01T09:00:00Z")], now: Self.at("2026-12-01T10:03:31Z"))
        #expect(after.ticks.isEmpty)
        // An older declaration without a first declaration: nothing before the term began.
        let old = ScheduledJob(jobId: "old", schedule: .interval(.seconds(60)), firstDeclaredAt: nil)
        let oldPlan = planner.plan(jobs: [old], last: [:], now: Self.at("2026-12-01T10:04:00.5Z"))
        #expect(Self.times(oldPlan.ticks) == ["2026-12-01T10:04:00Z"])
    }

    @Test func aNewLeaderGoesOnFromTheLastCommittedTickWithoutRepeatingOrSkipping() {
        let job = Self.job(every: 1, catchUp: 100, first: "2026-12-01T10:00:00Z")
        let a = TickPlanner(termStart: Self.at("2026-12-01T10:00:00Z"))
        let first = a.plan(jobs: [job], last: [:], now: Self.at("2026-12-01T10:00:05.100Z"))
        #expect(first.ticks.count == 5)
        let committed = Dictionary(uniqueKeysWithValues: first.records.map { ($0.jobId, $0) })
        // Leader A is fenced; B leads from 10:00:09.5 and reads what A committed.
        let b = TickPlanner(termStart: Self.at("2026-12-01T10:00:09.500Z"))
        let second = b.plan(jobs: [job], last: committed, now: Self.at("2026-12-01T10:00:10.050Z"))
        #expect(Self.times(second.ticks) == (6...10).map { "2026-12-01T10:00:\($0 < 10 ? "0" : "")\($0)Z" })
        #expect(second.ticks.map(\.isCatchUp) == [true, true, true, true, false])
        let all = Self.times(first.ticks + second.ticks)
        #expect(Set(all).count == all.count)
    }

    @Test func aScheduleSeenMidTermWithItsLastTickLongAgoCatchesUpInsteadOfFlooding() {
        // The term leads since 08:00; at 10:00:30 a job's new version gains a minute schedule (its first
        // declaration was at 09:00): 09:01…10:00 were missed (nobody scheduled them), not on time.
        let planner = TickPlanner(termStart: Self.at("2026-12-01T08:00:00Z"))
        var job = Self.job(first: "2026-12-01T09:00:00Z")
        job.seenAt = Self.at("2026-12-01T10:00:30Z")
        let plan = planner.plan(jobs: [job], last: [:], now: Self.at("2026-12-01T10:00:30Z"))
        #expect(Self.times(plan.ticks) == ["2026-12-01T10:00:00Z"])
        #expect(plan.ticks.first?.isCatchUp == true)
        // Its next tick is on time.
        let written = Dictionary(uniqueKeysWithValues: plan.records.map { ($0.jobId, $0) })
        let next = planner.plan(jobs: [job], last: written, now: Self.at("2026-12-01T10:01:00.010Z"))
        #expect(Self.times(next.ticks) == ["2026-12-01T10:01:00Z"])
        #expect(next.ticks.first?.isCatchUp == false)
    }

    @Test func aLongDowntimeDoesNotEnumerateEveryTick() {
        let job = Self.job(every: 1, catchUp: 2, first: "2016-12-01T10:00:00Z")
        let planner = TickPlanner(termStart: Self.at("2026-12-01T10:00:00.500Z"))
        let started = ContinuousClock.now
        let plan = planner.plan(jobs: [job], last: [:], now: Self.at("2026-12-01T10:00:00.600Z"))
        let took = ContinuousClock.now - started
        #expect(Self.times(plan.ticks) == ["2026-12-01T09:59:59Z", "2026-12-01T10:00:00Z"])
        #expect(took < .seconds(2))
    }

    @Test func theNewestVersionsScheduleDecidesAndTheEarliestDeclarationBounds() throws {
        var v1 = try Job(id: "d", name: "D", version: "1.0.0", trigger: .interval(.minutes(1))) { _, _, _ in }.declaration()
        v1.firstDeclaredAt = Self.at("2026-12-01T09:00:00Z")
        var v2 = try Job(id: "d", name: "D", version: "1.1.0", trigger: .cron("0 9 * * *")) { _, _, _ in }.declaration()
        v2.firstDeclaredAt = Self.at("2026-12-01T09:30:00Z")
        let plain = TriggerDeclaration(jobId: "p", jobName: "P", version: "1", source: nil, eventSource: "x", events: ["e"], filter: .all)
        let jobs = ScheduledJob.from([v1, v2, plain])
        #expect(jobs == [ScheduledJob(jobId: "d", schedule: .cron("0 9 * * *"), firstDeclaredAt: Self.at("2026-12-01T09:00:00Z"))])
    }
}
