import Foundation
import TributaryKafka
import Logging
import ServiceSupport
import Synchronization
import Tributary
import TributaryIntegrations

/// Runs the polling sources for the leader's reconcile loop: every source key on the `polling` channel
/// that a job declares is polled every interval; the events go to `<p>.events` (awaiting the broker's
/// acknowledgement of every one), and only then is the new cursor stored on the source state
/// (`data.cursor`, with `data.lastPoll`: time, events found and published, polls so far). A failed
/// poll keeps the old cursor (the next poll reads the same changes again: stable event ids make that
/// harmless), is recorded on the source state (`lastError`) and retried after a doubling backoff, never
/// sooner than the provider's `Retry-After`.
final class Poller: Sendable {
    private let schedule: ReconcileSchedule
    private let sources: SourceIntegrations<AnyPollingSource>
    private let producer: KafkaProducer
    private let eventsTopic: String
    private let metrics: RegistrarMetrics
    private let logger: Logger
    /// Earliest next poll per source key after a `Retry-After` (in this process).
    private let notBefore = Mutex<[String: Date]>([:])

    init(
        configuration: RegistrarConfiguration, catalog: IntegrationCatalog,
        producer: KafkaProducer, metrics: RegistrarMetrics, logger: Logger
    ) {
        self.schedule = ReconcileSchedule(configuration)
        self.sources = SourceIntegrations(catalog.pollingSources, id: \.id, catalog: catalog, purpose: .poll)
        self.producer = producer
        self.eventsTopic = configuration.topics.events.name
        self.metrics = metrics
        self.logger = logger
    }

    /// Polls the source of `plan` if it is due, writing through the term's `states`; returns when it
    /// is due next, or nil when no job declares it. Throws only `CancellationError` and `LeadershipLost`.
    func pollIfDue(_ plan: SourcePlan, now: Date, states: SourceStateTable) async throws -> Date? {
        guard !plan.events.desired.isEmpty else { return nil }
        let due = dueDate(plan, state: states.state(plan.key))
        guard due <= now else { return due }
        _ = try await poll(plan, states: states)
        return dueDate(plan, state: states.state(plan.key))
    }

    /// Polls the source of `plan` now (a `re-register` command), whether or not it is due.
    func pollNow(_ plan: SourcePlan, states: SourceStateTable) async throws -> RegistrationOutcome {
        guard !plan.events.desired.isEmpty else {
            return RegistrationOutcome(ok: false, message: "no job declares \(plan.key): it is not polled")
        }
        notBefore.withLock { $0[plan.key] = nil }
        return try await poll(plan, states: states)
    }

    /// When the source key is due (``ReconcileSchedule/pollDue(state:interval:notBefore:)``): now before
    /// its first poll; after a failure, the backoff (and any `Retry-After`); otherwise the last poll plus
    /// the interval.
    func dueDate(_ plan: SourcePlan, state: SourceState?) -> Date {
        schedule.pollDue(state: state, interval: interval(plan), notBefore: notBefore.withLock { $0[plan.key] })
    }

    /// The source's poll interval for the plan's params (60 s when it cannot say).
    private func interval(_ plan: SourcePlan) -> Duration {
        (try? sources[plan.sourceId]?.interval(params: plan.params)) ?? .seconds(60)
    }

    /// One poll of a source key, its outcome written to `<p>.sources` and returned.
    private func poll(_ plan: SourcePlan, states: SourceStateTable) async throws -> RegistrationOutcome {
        let runId = "poll_" + UUID().uuidString.lowercased()
        var logger = self.logger
        logger[metadataKey: LogKey.sourceKey] = "\(plan.key)"
        logger[metadataKey: LogKey.sourceId] = "\(plan.sourceId)"
        logger[metadataKey: LogKey.runId] = "\(runId)"
        let before = states.state(plan.key)
        do {
            let source = try sources.source(for: plan)
            let io = IO(runId: runId, store: InMemoryTaskStore(), print: false)
            let cursor = before?.data["cursor"]
            let result = try await source.poll(PollRequest(key: plan.key, params: plan.params, cursor: cursor), io: io)
            let wanted = result.events.filter { plan.events.desired.contains($0.name) }
            // Every event is acknowledged before the cursor moves past it.
            _ = try await producer.sendAll(wanted.map { KafkaProducerMessage(topic: eventsTopic, record: CloudEvent.encode($0)) })
            let latest = states.state(plan.key) ?? before
            var next = latest ?? plan.newState()
            let polls = (latest?.data["lastPoll"]?["polls"]?.numberValue ?? 0) + 1
            next.sourceId = plan.sourceId
            next.version = plan.version
            next.channel = .polling
            next.params = plan.params
            next.active = true
            next.lastError = nil
            next.registered = ["event": plan.events.desired]
            next.data = [
                "cursor": result.cursor ?? .null,
                "lastPoll": [
                    "at": .string(RFC3339.string(from: Date())), "found": .number(Double(result.events.count)),
                    "published": .number(Double(wanted.count)), "polls": .number(polls),
                ],
            ]
            next.updatedAt = Date()
            try await states.write(next)
            notBefore.withLock { $0[plan.key] = nil }
            metrics.reconciliation(source: plan.key, outcome: "polled")
            logger.debug("source polled", metadata: ["published": "\(wanted.count)"])
            return RegistrationOutcome(ok: true, message: "\(plan.key) polled: \(wanted.count) events published")
        } catch {
            if error is LeadershipLost { throw error }
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            if let retryAfter = Self.retryAfter(error) {
                notBefore.withLock { $0[plan.key] = Date().addingTimeInterval(retryAfter.seconds) }
            }
            let failed = try await states.recordFailure(error, of: plan, fallback: before, metrics: metrics, logger: logger)
            logger.warning(
                "poll failed",
                metadata: [
                    LogKey.error: "\(RegistrationError.message(of: error))", "failures": "\(failed.lastError?.attempts ?? 1)",
                ])
            return RegistrationOutcome(ok: false, message: "poll of \(plan.key) failed: \(RegistrationError.message(of: error))")
        }
    }

    private static func retryAfter(_ error: any Error) -> Duration? {
        if let failed = error as? TaskFailedError { return retryAfter(failed.underlying) }
        return (error as? ProviderAPIError)?.retryAfter
    }
}
