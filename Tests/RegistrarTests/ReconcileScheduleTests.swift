import Foundation
import Testing
import Tributary
@testable import TributaryRegistrar

/// When the registrar reconciles or polls a source next, as values: no Kafka, no providers, no clock.
@Suite struct ReconcileScheduleTests {
    let schedule = ReconcileSchedule(resyncInterval: .seconds(3600), retryBackoff: .seconds(5))
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func plan(desired: [String], registered: [String] = [], channel: SourceChannel = .http) -> SourcePlan {
        SourcePlan(
            key: "stripe.webhook", sourceId: "stripe.webhook", version: "1", channel: channel, params: .object([:]),
            jobs: ["job"], events: OptionChange(desired: desired, registered: registered))
    }

    func state(active: Bool, registered: [String], failures: Int? = nil, at: Date? = nil, data: JSON = .object([:])) -> SourceState {
        SourceState(
            key: "stripe.webhook", sourceId: "stripe.webhook", active: active, data: data, registered: ["event": registered],
            lastError: failures.map { RegistrationFailure(message: "boom", at: at ?? now, attempts: $0) }, updatedAt: at ?? now)
    }

    // MARK: Webhook sources

    @Test func aSourceNeverRegisteredIsDueNow() {
        let due = schedule.registrationDue(plan(desired: ["price.created"]), state: nil, now: now)
        #expect(due == now)
    }

    @Test func anUnfinishedRunIsDueNowEvenWhenSettled() {
        let settled = state(active: true, registered: ["price.created"])
        let due = schedule.registrationDue(
            plan(desired: ["price.created"], registered: ["price.created"]), state: settled, unfinishedRun: true, now: now)
        #expect(due == now)
    }

    @Test func missingOrOrphanedEventsAreDueNow() {
        let registered = state(active: true, registered: ["price.created"])
        let missing = schedule.registrationDue(
            plan(desired: ["price.created", "invoice.paid"], registered: ["price.created"]), state: registered, now: now)
        let orphaned = schedule.registrationDue(plan(desired: [], registered: ["price.created"]), state: registered, now: now)
        #expect(missing == now)
        #expect(orphaned == now)
    }

    @Test func afterSuccessTheSourceIsCheckedAgainOneResyncIntervalAfterItsLastCheck() {
        let settled = state(active: true, registered: ["price.created"], at: now.addingTimeInterval(-600))
        let settledPlan = plan(desired: ["price.created"], registered: ["price.created"])
        let fromState = schedule.registrationDue(settledPlan, state: settled, now: now)
        let checkedAt = now.addingTimeInterval(-60)
        let fromCheck = schedule.registrationDue(settledPlan, state: settled, checkedAt: checkedAt, now: now)
        #expect(fromState == now.addingTimeInterval(-600 + 3600))
        #expect(fromCheck == checkedAt.addingTimeInterval(3600))
    }

    @Test func aSourceNoJobWantsAndNothingRegisteredIsNeverDue() {
        let inactive = state(active: false, registered: [])
        let due = schedule.registrationDue(plan(desired: []), state: inactive, now: now)
        #expect(due == nil)
    }

    @Test func afterFailuresTheBackoffDoublesUpToTheResyncInterval() {
        let delays = [1, 2, 3, 4, 10, 40].map { schedule.registrationBackoff(afterFailures: $0) }
        #expect(delays == [5, 10, 20, 40, 2560, 3600])
        let failedAt = now.addingTimeInterval(-7)
        let failed = state(active: false, registered: [], failures: 3, at: failedAt)
        let due = schedule.registrationDue(plan(desired: ["price.created"]), state: failed, now: now)
        #expect(due == failedAt.addingTimeInterval(20))
    }

    @Test func aRetryTimeSetByTheTermWinsOverTheStatesBackoff() {
        let failed = state(active: false, registered: [], failures: 1)
        let retryAt = now.addingTimeInterval(42)
        let due = schedule.registrationDue(plan(desired: ["price.created"]), state: failed, retryAt: retryAt, now: now)
        #expect(due == retryAt)
    }

    // MARK: Polling sources

    @Test func aPollingSourceIsDueNowBeforeItsFirstPollUnlessRetryAfterSaysLater() {
        let first = schedule.pollDue(state: nil, interval: .seconds(60))
        let notBefore = now.addingTimeInterval(30)
        let waited = schedule.pollDue(state: nil, interval: .seconds(60), notBefore: notBefore)
        #expect(first <= now)
        #expect(waited == notBefore)
    }

    @Test func aPollingSourceIsDueOneIntervalAfterItsLastPoll() {
        let last = now.addingTimeInterval(-10)
        let polled = state(
            active: true, registered: ["page.updated"], data: ["lastPoll": ["at": .string(RFC3339.string(from: last))]])
        let due = schedule.pollDue(state: polled, interval: .seconds(60))
        let later = now.addingTimeInterval(300)
        let held = schedule.pollDue(state: polled, interval: .seconds(60), notBefore: later)
        #expect(due == last.addingTimeInterval(60))
        #expect(held == later)
    }

    @Test func aFailedPollBacksOffUpToTheLongerOfIntervalAndResync() {
        let delays = [1, 2, 3, 20].map { schedule.pollBackoff(afterFailures: $0, interval: .seconds(60)) }
        #expect(delays == [5, 10, 20, 3600])
        let longInterval = schedule.pollBackoff(afterFailures: 20, interval: .seconds(7200))
        #expect(longInterval == 7200)
        let failedAt = now.addingTimeInterval(-1)
        let failed = state(active: true, registered: ["page.updated"], failures: 2, at: failedAt)
        let due = schedule.pollDue(state: failed, interval: .seconds(60))
        #expect(due == failedAt.addingTimeInterval(10))
    }
}
