import Foundation
import TributaryKafka
import Logging
import ServiceSupport
import Tracing
import Tributary
import TributaryIntegrations

/// The reconcile loop a leader runs: for every source key, desired events (from `<p>.triggers`)
/// against registered ones (from `<p>.sources`); calls the integration's `register` when the source is
/// inactive, something is missing or orphaned, a failed registration is due again, or the resync is due;
/// writes the outcome to `<p>.sources`. Between sources it applies the commands waiting on
/// `<p>.commands` (set or clear a secret, re-register), in order. This loop is the only writer of
/// `<p>.sources`, through the term's transactional ``LeaderWriter``.
final class Reconciler: Sendable {
    private let configuration: RegistrarConfiguration
    private let schedule: ReconcileSchedule
    private let sources: SourceIntegrations<AnyExternalSource>
    private let triggers: KafkaTableView
    private let control: ControlLog
    private let metrics: RegistrarMetrics
    private let wakeup: Wakeup
    private let poller: Poller?
    private let logger: Logger

    init(
        configuration: RegistrarConfiguration, catalog: IntegrationCatalog,
        triggers: KafkaTableView, control: ControlLog, metrics: RegistrarMetrics, wakeup: Wakeup,
        poller: Poller? = nil, logger: Logger
    ) {
        self.configuration = configuration
        self.schedule = ReconcileSchedule(configuration)
        self.sources = SourceIntegrations(catalog.sources, id: \.id, catalog: catalog, purpose: .register)
        self.triggers = triggers
        self.control = control
        self.metrics = metrics
        self.wakeup = wakeup
        self.poller = poller
        self.logger = logger
    }

    /// What one leadership term knows beyond the topics.
    struct Term {
        /// The term's view of `<p>.sources` and its only way to write there.
        let states: SourceStateTable
        /// The commands waiting on `<p>.commands`.
        let commands: CommandFollower
        /// Unfinished runs by source key (restored from the control topic at the start of the term).
        var runs: [String: RegistrationRun] = [:]
        /// When a failed source key is tried again.
        var retryAt: [String: Date] = [:]
        /// When a source key was last checked at the provider.
        var checkedAt: [String: Date] = [:]
        /// Source keys whose unreadable state was reported in this term.
        var reportedUnreadable: Set<String> = []
        /// When the waiting commands are tried again after Kafka refused a write.
        var commandsRetryAt: Date?

        init(states: SourceStateTable, commands: CommandFollower) {
            self.states = states
            self.commands = commands
        }
    }

    /// How a leadership term ended.
    enum TermEnd: Sendable {
        /// Cancelled: the partition was revoked or the registrar shuts down.
        case stopped
        /// The term may no longer write (fenced, or its producer or views failed): rejoin the group.
        case lost(any Error)
    }

    /// The readers of one term: its view of `<p>.sources` and its follower of `<p>.commands`.
    private struct TermReaders: Sendable {
        let states: SourceStateTable
        let commands: CommandFollower

        /// Stops both readers: their `run()`s return.
        func stop() async {
            await states.view.stop()
            await commands.stop()
        }
    }

    /// Leads until the task is cancelled (leadership lost or shutdown) or the term may no longer write.
    /// First it initialises the registrar's transactional id (fencing the previous leader), then reads
    /// `<p>.sources` and `<p>.commands` from the beginning, so it starts from everything that leader
    /// committed. The term's readers run as child tasks; when the term ends they are stopped and
    /// awaited, then the term's producer is shut down.
    func lead() async -> TermEnd {
        defer { metrics.leader.set(0.0) }
        logger.info("elected: fencing the previous leader and reading the sources")
        let writer: LeaderWriter
        let readers: TermReaders
        do {
            await triggers.waitUntilCaughtUp()
            try Task.checkCancellation()
            writer = try await LeaderWriter.start(
                kafka: configuration.kafka, transactionalID: configuration.topics.registrarTransactionalID,
                retryBackoff: configuration.retryBackoff, logger: logger)
            do {
                readers = try openTerm(writer: writer)
            } catch {
                await writer.shutdown()
                throw error
            }
        } catch {
            return ended(by: error)
        }
        let end = await withDiscardingTaskGroup(returning: TermEnd.self) { group in
            group.addTask { await readers.states.view.run() }
            group.addTask { await readers.commands.run() }
            let end: TermEnd
            do {
                await readers.states.view.waitUntilCaughtUp()
                await readers.commands.waitUntilCaughtUp()
                try Task.checkCancellation()
                try await lead(Term(states: readers.states, commands: readers.commands))
                end = .stopped
            } catch {
                end = ended(by: error)
            }
            await readers.stop()
            return end
        }
        await writer.shutdown()
        return end
    }

    /// How the term ended, given the error that ended it (logged and counted here).
    private func ended(by error: any Error) -> TermEnd {
        switch error {
        case let lost as LeadershipLost:
            metrics.leadershipLost()
            logger.error("no longer leading: \(lost)")
            return .lost(lost)
        case is CancellationError:
            logger.info("no longer leading")
            return .stopped
        default:
            if Task.isCancelled { return .stopped }
            metrics.leadershipLost()
            logger.error("no longer leading: the term cannot go on", metadata: [LogKey.error: "\(error)"])
            return .lost(error)
        }
    }

    private func openTerm(writer: LeaderWriter) throws -> TermReaders {
        let wakeup = self.wakeup
        let states = try SourceStateTable(
            configuration: configuration.kafka, topics: configuration.topics, sealer: configuration.sealer, writer: writer,
            logger: logger, onChange: { wakeup.signal() })
        let commands = try CommandFollower(
            configuration: configuration.kafka, topic: configuration.topics.commands.name, logger: logger,
            onCommand: { wakeup.signal() })
        return TermReaders(states: states, commands: commands)
    }

    /// The term's loop, once its views are caught up. Returns only by throwing.
    private func lead(_ start: Term) async throws {
        var term = start
        while true {
            do {
                term.runs = try await control.restore()
                break
            } catch {
                logger.error("cannot read the control topic; retrying", metadata: [LogKey.error: "\(error)"])
                try await Task.sleep(for: configuration.retryBackoff)
            }
        }
        metrics.leader.set(1.0)
        logger.info("leading: reconciling sources and applying commands")
        if !term.runs.isEmpty {
            logger.info("resuming unfinished registrations", metadata: ["sources": "\(term.runs.keys.sorted())"])
        }
        while true {
            let next = try await reconcile(&term)
            await wakeup.wait(timeout: Duration(seconds: max(0, next.timeIntervalSinceNow), rounding: .up) + .milliseconds(1))
            try Task.checkCancellation()
        }
    }

    /// The declarations whose events are wanted now: every version of a job hosted by a live runner
    /// (a rolling deploy keeps both versions' events), plus the last declaration of each job no live
    /// runner hosts (see ``JobDirectory/effectiveDeclarations``).
    private func declarations() -> [TriggerDeclaration] {
        JobDirectory(snapshot: triggers.snapshot, now: Date()).effectiveDeclarations
    }

    /// One pass over every source key, applying waiting commands before each; returns when the next
    /// pass is due at the latest.
    func reconcile(_ term: inout Term) async throws -> Date {
        let now = Date()
        var next = now.addingTimeInterval(configuration.resyncInterval.seconds)
        if let retry = try await applyCommands(&term) { next = min(next, retry) }
        let declared = SourcePlan.grouped(declarations())
        let entries = term.states.entries()
        metrics.unreadableSources.set(Double(entries.values.filter { $0.state == nil }.count))
        let keys = Set(declared.keys).union(entries.keys).union(term.runs.keys)
        for key in keys.sorted() {
            try Task.checkCancellation()
            if let retry = try await applyCommands(&term) { next = min(next, retry) }
            let entry = term.states.entry(key)
            if case .unreadable(let reason)? = entry {
                // Never overwrite what we cannot read (another sealing key, a newer version): say so once.
                if term.reportedUnreadable.insert(key).inserted {
                    logger.error(
                        "source state unreadable; the source is left alone",
                        metadata: [LogKey.sourceKey: "\(key)", LogKey.error: "\(reason)"])
                    metrics.reconciliation(source: key, outcome: "failed")
                }
                continue
            }
            let state = entry?.state
            guard let plan = SourcePlan.plan(key, declared: declared[key] ?? [], state: state) else {
                term.runs[key] = nil
                continue
            }
            if plan.channel == .polling {
                // Polling sources are polled on their own schedule (see `Poller`).
                if let poller, let due = try await poller.pollIfDue(plan, now: now, states: term.states) { next = min(next, due) }
                continue
            }
            guard plan.channel == .http else { continue }
            guard let due = dueDate(plan, state: state, term: term, now: now) else { continue }
            guard due <= now else {
                next = min(next, due)
                continue
            }
            _ = try await register(plan, state: state, term: &term)
            // When is this key due again, given what the registration left?
            if let after = term.states.state(key),
                let replanned = SourcePlan.plan(key, declared: declared[key] ?? [], state: after),
                let again = dueDate(replanned, state: after, term: term, now: Date())
            {
                next = min(next, again)
            }
        }
        if let retry = try await applyCommands(&term) { next = min(next, retry) }
        return next
    }

    /// Applies the waiting commands, oldest first. When Kafka refuses a write the command stays first in
    /// line and this returns when to try again. Throws `CancellationError` and ``LeadershipLost``.
    private func applyCommands(_ term: inout Term) async throws -> Date? {
        if let retry = term.commandsRetryAt, retry > Date() { return retry }
        term.commandsRetryAt = nil
        while let command = term.commands.next {
            try Task.checkCancellation()
            do {
                try await apply(command, term: &term)
                term.commands.applied(command.id)
            } catch {
                if error is LeadershipLost || error is CancellationError || Task.isCancelled { throw error }
                let retry = Date().addingTimeInterval(configuration.retryBackoff.seconds)
                term.commandsRetryAt = retry
                logger.warning(
                    "cannot apply a command now; it is tried again",
                    metadata: [
                        "command.id": "\(command.id)", "command.kind": "\(command.kind)", LogKey.sourceKey: "\(command.target)",
                        LogKey.error: "\(error)",
                    ])
                return retry
            }
        }
        return nil
    }

    /// Applies one command to the newest state of its source and writes its result (in the same
    /// transaction as the state it changed).
    private func apply(_ command: CommandRecord, term: inout Term) async throws {
        if command.kind == .rotateKeys { return try await rotate(command, term: &term) }
        let key = command.target
        let entry = term.states.entry(key)
        let declared = declarations().filter { $0.source?.key == key }
        let plan = SourcePlan.plan(key, declared: declared, state: entry?.state)
        let effect = SourceCommandEffect.of(command, entry: entry, plan: plan, sealer: configuration.sealer, now: Date())
        let by = configuration.instanceName
        let result: CommandResult
        switch effect {
        case .write(let state, let message):
            result = command.result(ok: true, message: message, by: by)
            try await term.states.write(state, answering: result, audit: AuditRecord(command: command, result: result))
        case .unchanged(let message):
            result = command.result(ok: true, message: message, by: by)
            try await term.states.answer(result, audit: AuditRecord(command: command, result: result))
        case .refuse(let reason):
            result = command.result(ok: false, message: reason, by: by)
            try await term.states.answer(result, audit: AuditRecord(command: command, result: result))
        case .reregister:
            let outcome: RegistrationOutcome
            if let plan, plan.channel == .polling {
                if let poller {
                    outcome = try await poller.pollNow(plan, states: term.states)
                } else {
                    outcome = RegistrationOutcome(ok: false, message: "this registrar does not poll \(key)")
                }
            } else if let plan, plan.channel == .http {
                term.retryAt[key] = nil
                outcome = try await register(plan, state: entry?.state, term: &term)
            } else {
                outcome = RegistrationOutcome(
                    ok: false, message: "\(key) cannot be registered (channel \(plan?.channel.rawValue ?? "none"))")
            }
            result = command.result(ok: outcome.ok, message: outcome.message, by: by)
            try await term.states.answer(result, audit: AuditRecord(command: command, result: result))
        }
        metrics.command(kind: command.kind.rawValue, outcome: result.ok ? "applied" : "refused")
        logger.info(
            "command applied",
            metadata: [
                "command.id": "\(command.id)", "command.kind": "\(command.kind)", LogKey.sourceKey: "\(key)",
                "command.issuedBy": "\(command.issuedBy)", LogKey.outcome: "\(result.ok ? "ok" : "refused")",
                "message": "\(result.message)",
            ])
    }

    /// Applies a `rotate-keys` command: every readable source state whose secret is not sealed with the
    /// current key is written again (so sealed with it), with the result; unreadable states are left
    /// alone, named in the result, logged and counted.
    private func rotate(_ command: CommandRecord, term: inout Term) async throws {
        let rotation = KeyRotation.plan(command, values: term.states.values(), sealer: configuration.sealer, now: Date())
        let result = command.result(
            ok: rotation.refusal == nil, message: rotation.message, by: configuration.instanceName,
            details: rotation.refusal == nil ? rotation.details : nil)
        // The audit entry names the key ids and how many were re-sealed: ids reveal nothing of a key.
        let audit = AuditRecord(
            command: command, result: result,
            details: rotation.refusal == nil
                ? [
                    "keyId": .string(rotation.keyId), "resealed": .number(Double(rotation.reseal.count)),
                    "unreadable": .array(rotation.unreadable.keys.sorted().map(JSON.string)),
                ] : nil)
        if rotation.refusal == nil {
            try await term.states.write(rotation.reseal, answering: result, audit: audit)
        } else {
            try await term.states.answer(result, audit: audit)
        }
        for (key, reason) in rotation.unreadable.sorted(by: { $0.key < $1.key }) {
            logger.error(
                "source state unreadable during a key rotation; it is left alone",
                metadata: [LogKey.sourceKey: "\(key)", LogKey.error: "\(reason)"])
        }
        metrics.command(kind: command.kind.rawValue, outcome: result.ok ? "applied" : "refused")
        logger.info(
            "command applied",
            metadata: [
                "command.id": "\(command.id)", "command.kind": "\(command.kind)", "command.issuedBy": "\(command.issuedBy)",
                LogKey.outcome: "\(result.ok ? "ok" : "refused")", "message": "\(result.message)",
            ])
    }

    /// When the source key needs a registration, or nil when it needs none (see ``ReconcileSchedule``).
    func dueDate(_ plan: SourcePlan, state: SourceState?, term: Term, now: Date) -> Date? {
        schedule.registrationDue(
            plan, state: state, unfinishedRun: term.runs[plan.key] != nil, retryAt: term.retryAt[plan.key],
            checkedAt: term.checkedAt[plan.key], now: now)
    }

    /// One attempt of a registration run for a source key, its outcome written to `<p>.sources` and
    /// returned. Throws only `CancellationError` (then nothing more is written: a new leader resumes the
    /// run) and ``LeadershipLost``.
    private func register(_ plan: SourcePlan, state: SourceState?, term: inout Term) async throws -> RegistrationOutcome {
        guard ServiceTracing.isEnabled else { return try await registerUntraced(plan, state: state, term: &term) }
        // A span per registration attempt; the provider calls (client spans) and `io` tasks under it.
        let span = startSpan("register \(plan.key)")
        defer { span.end() }
        span.attributes[MessageTracing.Attribute.sourceKey] = plan.key
        span.attributes["tributary.source.id"] = plan.sourceId
        let outcome = try await ServiceContext.withValue(span.context) { try await registerUntraced(plan, state: state, term: &term) }
        span.attributes["tributary.registration.ok"] = outcome.ok
        if !outcome.ok { span.setStatus(SpanStatus(code: .error, message: outcome.message)) }
        return outcome
    }

    private func registerUntraced(_ plan: SourcePlan, state: SourceState?, term: inout Term) async throws -> RegistrationOutcome {
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
            let source = try sources.source(for: plan)
            try await control.save(run)
            saved = true
            term.runs[plan.key] = run
            let control = self.control
            let store = RegistrationTaskStore(run: run) { try await control.save($0) }
            let io = IO(runId: run.runId, attempt: run.attempt, store: store, print: false)
            let context = RunContext(
                runId: run.runId, job: JobInfo(id: "tributary.registrar", name: "Registrar", version: "1"),
                event: EventInfo(id: run.runId, name: "register", source: "tributary.registrar", timestamp: run.startedAt),
                attempt: run.attempt, source: SourceContext(key: plan.key))
            let event = RegisterEvent(
                params: plan.params,
                source: RegisterSource(
                    key: plan.key, active: state?.active ?? false, data: state?.data ?? .object([:]),
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

            // Fold the result into the newest state of this term (it is the only writer; the state
            // read before the call may be older than its own last write).
            let latest = term.states.state(plan.key) ?? state
            var next = (latest ?? plan.newState(url: url)).applying(result)
            next.sourceId = plan.sourceId
            next.version = plan.version
            next.channel = plan.channel
            next.params = plan.params
            next.url = url
            if case .registered(_, let secret, _) = result, secret == state?.secret {
                next.secret = latest?.secret  // register kept the secret: keep the newest one
            }
            if plan.events.desired.isEmpty { next.active = false }
            if Self.differs(next, latest) { try await term.states.write(next) }
            try await control.finish(plan.key)
            term.runs[plan.key] = nil
            term.retryAt[plan.key] = nil
            term.checkedAt[plan.key] = Date()
            let outcome = plan.events.desired.isEmpty ? "removed" : (result == .unchanged ? "unchanged" : "registered")
            metrics.reconciliation(source: plan.key, outcome: outcome)
            metrics.sourceState(source: plan.key, registered: next.active, consecutiveFailures: 0)
            logger.info(
                "source reconciled",
                metadata: [
                    LogKey.outcome: "\(outcome)", "events": "\(plan.events.desired)",
                    "missing": "\(plan.events.missing)", "orphaned": "\(plan.events.orphaned)",
                ])
            let events = plan.events.desired.sorted()
            return RegistrationOutcome(
                ok: true, message: "\(plan.key) \(outcome)" + (events.isEmpty ? "" : ": events \(events.joined(separator: ", "))"))
        } catch {
            if error is LeadershipLost { throw error }
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            let failed = try await term.states.recordFailure(error, of: plan, fallback: state, url: url, metrics: metrics, logger: logger)
            let attempts = failed.lastError?.attempts ?? 1
            // A transient failure keeps the run (same run id, completed tasks memoized); anything else, or
            // too many attempts, ends it: the next attempt starts a new run that looks at the provider afresh.
            if !(Self.isTransient(error) && run.attempt < configuration.attemptsPerRun) {
                term.runs[plan.key] = nil
                if saved { try? await control.finish(plan.key) }
            }
            let delay = schedule.registrationBackoff(afterFailures: attempts)
            term.retryAt[plan.key] = Date().addingTimeInterval(delay)
            logger.warning(
                "registration failed",
                metadata: [
                    LogKey.error: "\(RegistrationError.message(of: error))", "failures": "\(attempts)", "retryInSeconds": "\(delay)",
                ])
            return RegistrationOutcome(ok: false, message: "registration of \(plan.key) failed: \(RegistrationError.message(of: error))")
        }
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
}

/// How a registration (or a poll) run by a `re-register` command went, for its result.
struct RegistrationOutcome: Sendable, Hashable {
    var ok: Bool
    var message: String
}

/// A registration that cannot be attempted (no integration, no credentials).
struct RegistrationError: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
