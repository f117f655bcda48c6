import Foundation
import Kafka
import Logging
import ServiceSupport
import Tributary
import TributaryIntegrations

/// The reconcile loop a leader runs: for every source key, desired events (from `<p>.triggers`)
/// against registered ones (from `<p>.sources`); calls the integration's `register` when the source is
/// inactive, something is missing or orphaned, a failed registration is due again, or the resync is due;
/// writes the outcome to `<p>.sources`.
final class Reconciler: Sendable {
    private let configuration: RegistrarConfiguration
    private let sources: [String: AnyExternalSource]
    private let missingCredentials: [String: String]
    private let states: SourceStateTable
    private let triggers: KafkaTableView
    private let control: ControlLog
    private let metrics: RegistrarMetrics
    private let wakeup: Wakeup
    private let poller: Poller?
    private let logger: Logger

    init(configuration: RegistrarConfiguration, catalog: IntegrationCatalog, states: SourceStateTable,
         triggers: KafkaTableView, control: ControlLog, metrics: RegistrarMetrics, wakeup: Wakeup,
         poller: Poller? = nil, logger: Logger) {
        self.configuration = configuration
        self.sources = Dictionary(catalog.sources.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.missingCredentials = catalog.missingCredentials
        self.states = states
        self.triggers = triggers
        self.control = control
        self.metrics = metrics
        self.wakeup = wakeup
        self.poller = poller
        self.logger = logger
    }

    /// What one leadership term knows beyond the topics.
    struct Term {
        /// Unfinished runs by source key (restored from the control topic at the start of the term).
        var runs: [String: RegistrationRun] = [:]
        /// When a failed source key is tried again.
        var retryAt: [String: Date] = [:]
        /// When a source key was last checked at the provider.
        var checkedAt: [String: Date] = [:]
        /// Source keys whose unreadable state was reported in this term.
        var reportedUnreadable: Set<String> = []
    }

    /// Reconciles until the task is cancelled (leadership lost or shutdown).
    func lead() async {
        metrics.leader.set(1.0)
        defer { metrics.leader.set(0.0) }
        logger.info("leading: reconciling sources")
        do {
            while !(triggers.isCaughtUp && states.view.isCaughtUp) { try await Task.sleep(for: .milliseconds(50)) }
            var term = Term()
            while true {
                do {
                    term.runs = try await control.restore()
                    break
                } catch {
                    logger.error("cannot read the control topic; retrying", metadata: [LogKey.error: "\(error)"])
                    try await Task.sleep(for: configuration.retryBackoff)
                }
            }
            if !term.runs.isEmpty {
                logger.info("resuming unfinished registrations", metadata: ["sources": "\(term.runs.keys.sorted())"])
            }
            while true {
                let next = try await reconcile(&term)
                let wait = max(0, next.timeIntervalSinceNow)
                await wakeup.wait(timeout: .milliseconds(Int64((wait * 1000).rounded(.up)) + 1))
                try Task.checkCancellation()
            }
        } catch {
            logger.info("no longer leading")
        }
    }

    /// One pass over every source key; returns when the next pass is due at the latest.
    func reconcile(_ term: inout Term) async throws -> Date {
        let now = Date()
        let declarations = triggers.snapshot.values.compactMap { try? TriggerDeclaration(record: WireRecord(key: nil, value: $0)) }
        let entries = states.entries()
        var readable: [String: SourceState] = [:]
        for (key, entry) in entries {
            if case .state(let state) = entry { readable[key] = state }
        }
        let plans = SourcePlan.all(declarations: declarations, states: readable)
        var next = now.addingTimeInterval(Self.seconds(configuration.resyncInterval))
        for key in Set(plans.keys).union(term.runs.keys).sorted() {
            try Task.checkCancellation()
            if case .unreadable(let reason)? = entries[key] {
                // Never overwrite what we cannot read (another sealing key, a newer version): say so once.
                if term.reportedUnreadable.insert(key).inserted {
                    logger.error("source state unreadable; the source is left alone",
                                 metadata: [LogKey.sourceKey: "\(key)", LogKey.error: "\(reason)"])
                    metrics.failure(source: key)
                }
                continue
            }
            guard let plan = plans[key] else {
                term.runs[key] = nil
                continue
            }
            if plan.channel == .polling {
                // Polling sources are polled on their own schedule (see `Poller`).
                if let poller, let due = try await poller.pollIfDue(plan, now: now) { next = min(next, due) }
                continue
            }
            guard plan.channel == .http else { continue }
            guard let due = dueDate(plan, state: readable[key], term: term, now: now) else { continue }
            guard due <= now else {
                next = min(next, due)
                continue
            }
            try await register(plan, state: readable[key], term: &term)
            // When is this key due again, given what the registration left?
            if let after = currentState(key) {
                let replanned = SourcePlan.all(declarations: declarations, states: [key: after])[key] ?? plan
                if let again = dueDate(replanned, state: after, term: term, now: Date()) { next = min(next, again) }
            }
        }
        return next
    }

    /// When the source key needs a registration, or nil when it needs none.
    func dueDate(_ plan: SourcePlan, state: SourceState?, term: Term, now: Date) -> Date? {
        let registered = state?.registered["event"] ?? []
        let desired = plan.events.desired
        let hasWork = term.runs[plan.key] != nil
            || (!desired.isEmpty && !(state?.active ?? false))
            || !plan.events.isSettled
            || (state?.lastError != nil && !(desired.isEmpty && registered.isEmpty))
        if hasWork {
            if let retry = term.retryAt[plan.key] { return retry }
            if let failure = state?.lastError { return failure.at.addingTimeInterval(backoff(afterFailures: failure.attempts)) }
            return now
        }
        if let state, state.active, !desired.isEmpty {
            return (term.checkedAt[plan.key] ?? state.updatedAt).addingTimeInterval(Self.seconds(configuration.resyncInterval))
        }
        return nil
    }

    /// Seconds to wait after `failures` failed attempts in a row: the backoff doubles, up to the resync interval.
    func backoff(afterFailures failures: Int) -> TimeInterval {
        let base = Self.seconds(configuration.retryBackoff)
        return min(base * pow(2, Double(min(max(failures - 1, 0), 30))), Self.seconds(configuration.resyncInterval))
    }

    /// One attempt of a registration run for a source key, its outcome written to `<p>.sources`.
    /// Throws only `CancellationError` (then nothing more is written: a new leader resumes the run).
    private func register(_ plan: SourcePlan, state: SourceState?, term: inout Term) async throws {
        let url = configuration.webhookURL(sourceKey: plan.key)
        var run = term.runs[plan.key] ?? RegistrationRun(sourceKey: plan.key)
        run.attempt += 1
        var logger = self.logger
        logger[metadataKey: LogKey.sourceKey] = "\(plan.key)"
        logger[metadataKey: LogKey.sourceId] = "\(plan.sourceId)"
        logger[metadataKey: LogKey.runId] = "\(run.runId)"
        logger[metadataKey: LogKey.attempt] = "\(run.attempt)"
        var saved = term.runs[plan.key] != nil
        do {
            let source = try integration(for: plan)
            try await control.save(run)
            saved = true
            term.runs[plan.key] = run
            let control = self.control
            let store = RunTaskStore(run: run) { try await control.save($0) }
            let io = IO(runId: run.runId, attempt: run.attempt, store: store, print: false)
            let context = RunContext(
                runId: run.runId, job: JobInfo(id: "tributary.registrar", name: "Registrar", version: "1"),
                event: EventInfo(id: run.runId, name: "register", source: "tributary.registrar", timestamp: run.startedAt),
                attempt: run.attempt, source: SourceContext(key: plan.key))
            let event = RegisterEvent(
                params: plan.params,
                source: RegisterSource(key: plan.key, active: state?.active ?? false, data: state?.data ?? .object([:]),
                                       url: url, secret: state?.secret),
                options: ["event": plan.events])
            let result: RegisterResult
            do {
                result = try await source.register(event, io: io, context: context)
                term.runs[plan.key] = await store.run
            } catch {
                term.runs[plan.key] = await store.run
                throw error
            }
            try await configuration.hooks.afterRegister(plan.key, result)

            // Fold the result into the newest state (someone, e.g. `tributary sources set-secret`, may
            // have written since we read it).
            let latest = currentState(plan.key) ?? state
            var next = (latest ?? newState(plan, url: url)).applying(result)
            next.sourceId = plan.sourceId
            next.version = plan.version
            next.channel = plan.channel
            next.params = plan.params
            next.url = url
            if case .registered(_, let secret, _) = result, secret == state?.secret {
                next.secret = latest?.secret  // register kept the secret: keep the newest one
            }
            if plan.events.desired.isEmpty { next.active = false }
            if Self.differs(next, latest) { try await states.write(next) }
            try await control.finish(plan.key)
            term.runs[plan.key] = nil
            term.retryAt[plan.key] = nil
            term.checkedAt[plan.key] = Date()
            let outcome = plan.events.desired.isEmpty ? "removed" : (result == .unchanged ? "unchanged" : "registered")
            metrics.reconciliation(source: plan.key, outcome: outcome)
            logger.info("source reconciled", metadata: [
                LogKey.outcome: "\(outcome)", "events": "\(plan.events.desired)",
                "missing": "\(plan.events.missing)", "orphaned": "\(plan.events.orphaned)",
            ])
        } catch {
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            metrics.failure(source: plan.key)
            metrics.reconciliation(source: plan.key, outcome: "failed")
            var failed = (currentState(plan.key) ?? state ?? newState(plan, url: url)).recordingFailure(Self.message(error))
            if failed.url == nil { failed.url = url }
            let attempts = failed.lastError?.attempts ?? 1
            do {
                try await states.write(failed)
            } catch {
                logger.error("cannot record the failure on the source state", metadata: [LogKey.error: "\(error)"])
            }
            // A transient failure keeps the run (same run id, completed tasks memoized); anything else, or
            // too many attempts, ends it: the next attempt starts a new run that looks at the provider afresh.
            if !(Self.isTransient(error) && run.attempt < configuration.attemptsPerRun) {
                term.runs[plan.key] = nil
                if saved { try? await control.finish(plan.key) }
            }
            let delay = backoff(afterFailures: attempts)
            term.retryAt[plan.key] = Date().addingTimeInterval(delay)
            logger.warning("registration failed", metadata: [
                LogKey.error: "\(Self.message(error))", "failures": "\(attempts)", "retryInSeconds": "\(delay)",
            ])
        }
    }

    private func integration(for plan: SourcePlan) throws -> AnyExternalSource {
        guard let source = sources[plan.sourceId] else {
            throw RegistrationError("no integration handles source id \(plan.sourceId)")
        }
        let provider = plan.sourceId.split(separator: ".").first.map(String.init) ?? plan.sourceId
        if let variable = missingCredentials[provider] {
            throw RegistrationError("\(variable) is not set: the registrar cannot register source \(plan.key) with \(provider)")
        }
        return source
    }

    private func currentState(_ key: String) -> SourceState? {
        if case .state(let state)? = states.entry(key) { return state }
        return nil
    }

    private func newState(_ plan: SourcePlan, url: String) -> SourceState {
        SourceState(key: plan.key, sourceId: plan.sourceId, version: plan.version, channel: plan.channel,
                    params: plan.params, active: false, url: url)
    }

    private static func differs(_ a: SourceState, _ b: SourceState?) -> Bool {
        guard var b else { return true }
        b.updatedAt = a.updatedAt
        return a != b
    }

    /// Whether retrying the same run later may succeed: provider 429, 5xx, timeouts, and Kafka trouble.
    static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let failed as TaskFailedError: return isTransient(failed.underlying)
        case let provider as ProviderAPIError: return provider.isTransient
        case is KafkaError: return true
        default: return false
        }
    }

    private static func message(_ error: any Error) -> String {
        if let failed = error as? TaskFailedError { return "\(failed.underlying)" }
        return "\(error)"
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// A registration that cannot be attempted (no integration, no credentials).
struct RegistrationError: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
