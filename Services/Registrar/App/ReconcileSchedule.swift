import Foundation
import Tributary

/// When the registrar works on a source key next, as pure date arithmetic: no Kafka, no clock of its
/// own (every answer is relative to the dates it is given). The ``Reconciler`` asks it for webhook
/// sources, the ``Poller`` for polling sources.
///
/// - A webhook source with work to do (an unfinished run, inactive while events are wanted, events
///   missing or orphaned, or a failure to clear) is due now the first time, after a failure once the
///   backoff has passed (the retry backoff doubling per failure in a row, at most the resync interval);
///   a settled active source is checked again one resync interval after its last check.
/// - A polling source is due now before its first poll, one poll interval after its last poll, after a
///   failure once the backoff has passed (at most the longer of the poll interval and the resync
///   interval), and never before the provider's `Retry-After`.
struct ReconcileSchedule: Sendable, Hashable {
    /// How often a settled source is checked at its provider.
    var resyncInterval: Duration
    /// The wait after the first failure; it doubles with every further failure in a row.
    var retryBackoff: Duration

    /// A schedule with these intervals.
    init(resyncInterval: Duration, retryBackoff: Duration) {
        self.resyncInterval = resyncInterval
        self.retryBackoff = retryBackoff
    }

    /// The registrar's schedule.
    init(_ configuration: RegistrarConfiguration) {
        self.init(resyncInterval: configuration.resyncInterval, retryBackoff: configuration.retryBackoff)
    }

    // MARK: Webhook sources

    /// When the webhook source of `plan` needs a registration, or nil when it needs none. `unfinishedRun`:
    /// the term holds a run of the key to resume; `retryAt`: when the term set it to be tried again after
    /// a failure; `checkedAt`: when the term last checked it at the provider.
    func registrationDue(
        _ plan: SourcePlan, state: SourceState?, unfinishedRun: Bool = false, retryAt: Date? = nil, checkedAt: Date? = nil,
        now: Date
    ) -> Date? {
        let registered = state?.registered["event"] ?? []
        let desired = plan.events.desired
        let hasWork =
            unfinishedRun
            || (!desired.isEmpty && !(state?.active ?? false))
            || !plan.events.isSettled
            || (state?.lastError != nil && !(desired.isEmpty && registered.isEmpty))
        if hasWork {
            if let retryAt { return retryAt }
            if let failure = state?.lastError { return failure.at.addingTimeInterval(registrationBackoff(afterFailures: failure.attempts)) }
            return now
        }
        if let state, state.active, !desired.isEmpty {
            return (checkedAt ?? state.updatedAt).addingTimeInterval(resyncInterval.seconds)
        }
        return nil
    }

    /// Seconds to wait after `failures` failed registrations in a row: the retry backoff doubling, up to
    /// the resync interval.
    func registrationBackoff(afterFailures failures: Int) -> TimeInterval {
        backoff(afterFailures: failures, cap: resyncInterval.seconds)
    }

    // MARK: Polling sources

    /// When a polling source whose state is `state` and whose poll interval is `interval` is due: now
    /// (that is, `notBefore` or the distant past) before its first poll; after a failure, the backoff;
    /// otherwise its last poll (`data.lastPoll.at`) plus the interval; never before `notBefore` (the
    /// provider's `Retry-After`).
    func pollDue(state: SourceState?, interval: Duration, notBefore: Date? = nil) -> Date {
        let retryAfter = notBefore ?? .distantPast
        if let failure = state?.lastError {
            return max(failure.at.addingTimeInterval(pollBackoff(afterFailures: failure.attempts, interval: interval)), retryAfter)
        }
        guard let state, let last = state.data["lastPoll"]?["at"]?.stringValue.flatMap(RFC3339.date(from:)) else {
            return retryAfter
        }
        return max(last.addingTimeInterval(interval.seconds), retryAfter)
    }

    /// Seconds to wait after `failures` failed polls in a row: the retry backoff doubling, up to the
    /// longer of the poll interval and the resync interval.
    func pollBackoff(afterFailures failures: Int, interval: Duration) -> TimeInterval {
        backoff(afterFailures: failures, cap: max(interval.seconds, resyncInterval.seconds))
    }

    private func backoff(afterFailures failures: Int, cap: TimeInterval) -> TimeInterval {
        min(retryBackoff.seconds * pow(2, Double(min(max(failures - 1, 0), 30))), cap)
    }
}
