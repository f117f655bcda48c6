import Foundation
import TributaryKafka
import Logging
import ServiceLifecycle
import ServiceSupport
import Synchronization
import Tributary

/// The runner as a swift-service-lifecycle `Service`: declares its jobs' triggers on
/// `<p>.triggers`, announces what it hosts with a presence heartbeat there, and runs each job as its
/// own subscriber (``JobSubscription``: a consumer group per job). On graceful shutdown every job
/// stops taking events, finishes its runs in flight (up to the drain timeout), commits and leaves its
/// group, and the presence record is removed.
public final class RunnerService: Service, Sendable {
    /// The hosted jobs.
    public let jobs: [RunnerJob]
    /// The configuration.
    public let configuration: RunnerConfiguration
    /// The metrics `/metrics` shows.
    public let metrics: RunnerMetrics
    private let logger: Logger
    private let phase = Mutex(Phase.starting)
    private let subscriptions = Mutex<[JobSubscription]>([])
    private let startedAt = Date()

    private enum Phase { case starting, running, draining, stopped }

    /// A runner for `jobs`; throws when two jobs share an id or a trigger cannot be declared.
    public init(configuration: RunnerConfiguration, jobs: [RunnerJob], logger: Logger = Logger(label: "tributary.runner")) throws {
        var seen = Set<String>()
        for job in jobs {
            guard seen.insert(job.id).inserted else { throw ConfigurationError("two jobs have the id '\(job.id)'") }
            guard !RunnerPresence.isPresenceKey(job.id) else {
                throw ConfigurationError("job id '\(job.id)' may not start with '\(RunnerPresence.keyPrefix)'")
            }
            do { _ = try job.job.declaration() } catch {
                throw ConfigurationError("job '\(job.id)' has an invalid trigger: \(error)")
            }
        }
        self.jobs = jobs
        self.configuration = configuration
        self.metrics = RunnerMetrics(jobIds: jobs.map(\.id))
        self.logger = logger
    }

    /// Whether the runner is running (triggers declared, presence written) and not shutting down.
    public var isReady: Bool { phase.withLock { $0 == .running } }

    /// The event partitions that every consuming job of this runner holds now (restored and
    /// running their events); empty while no job consumes.
    public var assignedPartitions: Set<KafkaTopicPartition> {
        let consuming = subscriptions.withLock { $0 }.filter(\.isActive)
        guard let first = consuming.first else { return [] }
        return consuming.dropFirst().reduce(first.assigned) { $0.intersection($1.assigned) }
    }

    /// The event partitions a job's subscription holds now.
    public func assignedPartitions(job jobId: String) -> Set<KafkaTopicPartition> {
        subscriptions.withLock { $0 }.first { $0.job.id == jobId }?.assigned ?? []
    }

    /// The next offset to commit of each event partition a job holds now: where a graceful stop
    /// leaves its group (every record before it has finished or was skipped).
    public func positions(job jobId: String) -> [KafkaTopicPartition: Int64] {
        subscriptions.withLock { $0 }.first { $0.job.id == jobId }?.positions ?? [:]
    }

    /// Sets `tributary_runner_waits_pending{job}` from the subscriptions (before a scrape).
    func updateWaitsPending() {
        for subscription in subscriptions.withLock({ $0 }) {
            metrics.setWaitsPending(job: subscription.job.id, subscription.waitingCount)
        }
    }

    /// Whether this runner consumes a job's events now (false while a newer version runs elsewhere).
    public func isConsuming(job jobId: String) -> Bool {
        subscriptions.withLock { $0 }.first { $0.job.id == jobId }?.isConsuming ?? false
    }

    /// Runs until graceful shutdown (or cancellation), then drains, commits and leaves the groups.
    public func run() async throws {
        let configuration = configuration
        let producer = try KafkaProducer(configuration: configuration.kafka, logger: quiet("tributary.runner.producer"))
        defer { phase.withLock { $0 = .stopped } }
        let runsPartitions = try await checkTopics()

        let view = try KafkaTableView(
            configuration: configuration.kafka, topic: configuration.triggersTopic,
            logger: quiet("tributary.runner.triggers")
        ) { [self] _ in
            for subscription in self.subscriptions.withLock({ $0 }) { subscription.wake() }
        }
        let writer = RecordWriter(producer: producer, logger: logger)
        let permits = RunPermits(configuration.maxConcurrentRuns)
        let presenceChanged = Wakeup()
        let waits = WaitDirectory(jobs: Set(jobs.map(\.id)))
        let waitsView = try KafkaTableView(
            configuration: configuration.kafka, topic: configuration.waitsTopic, logger: quiet("tributary.runner.waits")
        ) { [self] change in
            guard let record = waits.apply(key: change.key, value: change.value) else { return }
            self.subscriptions.withLock { $0 }.first { $0.job.id == record.jobId }?.waitChanged(record)
        }
        let events = KafkaEventPublisher(producer: producer, topic: configuration.eventsTopic)

        await withDiscardingTaskGroup { group in
            group.addTask { await view.run() }
            group.addTask { await waitsView.run() }
            group.addTask { await writer.run() }
            await view.waitUntilCaughtUp()
            await waitsView.waitUntilCaughtUp()
            let declarations: [TriggerDeclaration]
            do {
                declarations = try await declareTriggers(producer, view)
            } catch {
                logger.error("declaring the triggers failed", metadata: [LogKey.error: "\(error)"])
                await view.stop()
                await waitsView.stop()
                writer.stop()
                return
            }
            let directory: @Sendable () -> JobDirectory = { JobDirectory(snapshot: view.snapshot, now: Date()) }
            let created = zip(jobs, declarations).map { job, declaration in
                JobSubscription(
                    job: job, declaration: declaration, configuration: configuration, runsPartitionCount: runsPartitions,
                    writer: writer, permits: permits, metrics: metrics, directory: directory, waits: waits, events: events,
                    onActiveChange: { presenceChanged.signal() }, logger: logger)
            }
            self.subscriptions.withLock { $0 = created }
            // Announce before any job joins its group: older versions elsewhere see this runner and hand over.
            do { try await writePresence(producer) } catch {
                logger.warning("writing the presence record failed", metadata: [LogKey.error: "\(error)"])
            }
            // The heartbeat and the command follower are children of this group, stopped (cancelled) by
            // `background.stop()` before the presence tombstone.
            let background = StoppableTasks()
            group.addTask {
                await background.run([
                    { await self.heartbeat(producer, presenceChanged) },
                    { await self.followCommands(producer) },
                ])
            }
            // The subscriptions stop through `stop()` and are awaited only up to the shutdown deadline:
            // with Kafka unreachable a subscription may block in leaving its group, and the runner must
            // stop anyway. So they run in a task of their own, not as children of this group (which would
            // wait for them without a deadline).
            let running = Task {
                await withDiscardingTaskGroup { jobs in
                    for subscription in created { jobs.addTask { await subscription.run() } }
                }
            }
            phase.withLock { $0 = .running }
            logger.info(
                "runner started",
                metadata: [
                    "runner": "\(configuration.runnerId)", "groups": "\(created.map(\.groupID))",
                    "topics": "\([configuration.eventsTopic] + configuration.extraTopics)",
                ])

            try? await gracefulShutdown()
            phase.withLock { $0 = .draining }
            logger.info("draining: no new runs; waiting for runs in flight", metadata: ["deadline": "\(configuration.drainTimeout)"])
            for subscription in created { subscription.stop() }
            // The subscriptions end once drained and out of their groups; then the presence goes. With
            // Kafka unreachable a group cannot be left cleanly: past the deadline the runner stops anyway
            // (the groups notice after their session timeout; uncommitted events run again, and runs
            // that finished are skipped by the next owner's run history).
            let deadline = configuration.drainTimeout + .seconds(15)
            if !(await Self.finishes(within: deadline) { await running.value }) {
                logger.error(
                    "shutdown deadline passed before every job left its group (is Kafka reachable?); stopping without their final commits",
                    metadata: ["deadline": "\(deadline)"])
            }
            await background.stop()
            _ = await Self.finishes(within: .seconds(3)) { [configuration] in
                _ = try? await producer.send(
                    KafkaProducerMessage(
                        topic: configuration.triggersTopic, record: RunnerPresence.tombstone(runnerId: configuration.runnerId)))
            }
            await view.stop()
            await waitsView.stop()
            writer.stop()
        }
        await producer.shutdown()
        logger.info("runner stopped: offsets committed, groups left")
    }

    /// Runs `body` in a task of its own and waits for it at most `limit`; false when it was still
    /// running then (it goes on, unawaited: for steps that may block on an unreachable broker).
    private static func finishes(within limit: Duration, _ body: @escaping @Sendable () async -> Void) async -> Bool {
        let answered = Mutex(false)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let answer: @Sendable (Bool) -> Void = { value in
                let first = answered.withLock { done -> Bool in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: value) }
            }
            Task {
                await body()
                answer(true)
            }
            Task {
                try? await Task.sleep(for: limit)
                answer(false)
            }
        }
    }

    private func quiet(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = max(self.logger.logLevel, .notice)
        return logger
    }

    /// The presence record as of now.
    private func presence() throws -> RunnerPresence {
        let now = Date()
        let ttl = configuration.presenceTimeToLive.seconds
        let subscribed = Dictionary(uniqueKeysWithValues: subscriptions.withLock { $0 }.map { ($0.job.id, $0) })
        let hosted = try jobs.map { job in
            RunnerPresence.HostedJob(
                declaration: try subscribed[job.id]?.declaration ?? job.job.declaration(),
                active: subscribed[job.id]?.isActive ?? true)
        }
        return RunnerPresence(
            runnerId: configuration.runnerId, host: ProcessInfo.processInfo.hostName, startedAt: startedAt,
            heartbeatAt: now, expiresAt: now.addingTimeInterval(ttl), jobs: hosted)
    }

    private func writePresence(_ producer: KafkaProducer) async throws {
        _ = try await producer.send(KafkaProducerMessage(topic: configuration.triggersTopic, record: try presence().record()))
    }

    /// Writes the presence every interval, and at once when a job starts or stops consuming.
    private func heartbeat(_ producer: KafkaProducer, _ changed: Wakeup) async {
        while !Task.isCancelled {
            await changed.wait(timeout: configuration.presenceInterval)
            if Task.isCancelled { return }
            do { try await writePresence(producer) } catch {
                logger.warning("writing the presence record failed", metadata: [LogKey.error: "\(error)"])
            }
        }
    }

    /// Applies `rewind` commands for the jobs this runner hosts, sent on `<p>.commands` after it
    /// started, and answers each with the partitions it rewound (a runner that does not consume the
    /// job, or holds none of its partitions, does not answer).
    private func followCommands(_ producer: KafkaProducer) async {
        let topic = "\(configuration.topicPrefix).commands"
        let lookup = KafkaOffsetLookup(configuration: configuration.kafka, logger: quiet("tributary.runner.commands"))
        guard let end = try? await lookup.watermarks(KafkaTopicPartition(topic: topic, partition: 0)).high else {
            logger.warning("\(topic) is unavailable: job commands (rewind) are not applied")
            return
        }
        let reader: KafkaTopicReader
        do {
            reader = try KafkaTopicReader(
                configuration: configuration.kafka, topic: topic, partitions: [0], startOffsets: [0: end],
                logger: quiet("tributary.runner.commands"))
        } catch {
            logger.warning("\(topic) cannot be read: job commands (rewind) are not applied", metadata: [LogKey.error: "\(error)"])
            return
        }
        await withTaskCancellationHandler {
            for await event in reader {
                guard case .message(let message) = event,
                    case .command(let command)? = try? CommandTopicRecord(record: WireRecord(message)),
                    command.kind == .rewind,
                    let subscription = subscriptions.withLock({ $0 }).first(where: { $0.job.id == command.target })
                else { continue }
                let result: CommandResult
                if let time = command.rewindTime {
                    do {
                        guard let offsets = try await subscription.rewind(to: time), !offsets.isEmpty else { continue }
                        let sorted = offsets.sorted { $0.key < $1.key }
                        result = command.result(
                            ok: true,
                            message: "rewound partitions \(sorted.map { "\($0.key.partition)@\($0.value)" }.joined(separator: ", "))",
                            by: "runner \(configuration.runnerId)",
                            details: [
                                "partitions": .array(sorted.map { .number(Double($0.key.partition)) }),
                                "offsets": .array(sorted.map { .number(Double($0.value)) }),
                            ])
                    } catch {
                        result = command.result(ok: false, message: "rewind failed: \(error)", by: "runner \(configuration.runnerId)")
                    }
                } else {
                    result = command.result(
                        ok: false, message: "rewind needs arguments.to, an RFC 3339 time", by: "runner \(configuration.runnerId)")
                }
                logger.notice(
                    "command applied",
                    metadata: [
                        "command": "\(command.id)", "kind": "\(command.kind)",
                        LogKey.jobId: "\(command.target)", "by": "\(command.issuedBy)", "ok": "\(result.ok)",
                    ])
                do {
                    _ = try await producer.send(KafkaProducerMessage(topic: topic, record: try result.record()))
                } catch {
                    logger.warning("writing a command result failed", metadata: [LogKey.error: "\(error)"])
                }
            }
        } onCancel: {
            Task { await reader.close() }
        }
    }

    /// Checks that `<p>.events` and `<p>.runs` exist with the same partition count; returns it.
    private func checkTopics() async throws -> Int32 {
        let admin = try KafkaAdmin(configuration: configuration.kafka, logger: quiet("tributary.runner.admin"))
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                let topics = try await admin.listTopics()
                let events = topics.first { $0.name == configuration.eventsTopic }
                let runs = topics.first { $0.name == configuration.runsTopic }
                if events != nil, runs != nil, jobs.contains(where: { $0.job.flow != nil }),
                    !topics.contains(where: { $0.name == configuration.flowTopic })
                {
                    throw ConfigurationError(
                        "topic \(configuration.flowTopic) does not exist (TRIBUTARY_TOPIC_PREFIX=\(configuration.topicPrefix)): a flow-controlled job needs it (tributary topics create)"
                    )
                }
                if events != nil, runs != nil, !topics.contains(where: { $0.name == configuration.waitsTopic }) {
                    throw ConfigurationError(
                        "topic \(configuration.waitsTopic) does not exist (TRIBUTARY_TOPIC_PREFIX=\(configuration.topicPrefix)): create it (tributary topics create)"
                    )
                }
                if let events, let runs {
                    guard events.partitions.count == runs.partitions.count else {
                        throw ConfigurationError(
                            "\(configuration.runsTopic) has \(runs.partitions.count) partitions but \(configuration.eventsTopic) has \(events.partitions.count): they must be co-partitioned"
                        )
                    }
                    return Int32(runs.partitions.count)
                }
                if ContinuousClock.now > deadline {
                    throw ConfigurationError(
                        "topics \(configuration.eventsTopic) and \(configuration.runsTopic) do not exist (TRIBUTARY_TOPIC_PREFIX=\(configuration.topicPrefix)): create them first (tributary broker / tributary topics)"
                    )
                }
            } catch let error as KafkaError where ContinuousClock.now < deadline {
                logger.warning("cluster metadata unavailable; retrying", metadata: [LogKey.error: "\(error)"])
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Publishes each job's trigger declaration on `<p>.triggers` (key: job id) and waits for the
    /// broker; returns the declarations, one per job, in order.
    ///
    /// The first declaration of a job records its start position; later ones keep it. A runner
    /// does not overwrite the declaration of a newer version (during a rolling deploy an old pod that
    /// restarts leaves the new declaration in place). A job declared by a runner of the single-group
    /// era (a declaration without a start position) records that group to start its own from.
    private func declareTriggers(_ producer: KafkaProducer, _ view: KafkaTableView) async throws -> [TriggerDeclaration] {
        var declarations: [TriggerDeclaration] = []
        var records: [KafkaProducerMessage] = []
        for job in jobs {
            var declaration = try job.job.declaration()
            let existing = view[job.id].flatMap { try? TriggerDeclaration(record: WireRecord(key: Array(job.id.utf8), value: $0)) }
            if let existing {
                declaration.startPosition = existing.startPosition ?? job.startPosition ?? configuration.defaultStartPosition
                declaration.startsFromGroup = existing.startPosition == nil ? configuration.groupID : existing.startsFromGroup
                declaration.firstDeclaredAt = existing.firstDeclaredAt ?? Date()
            } else {
                declaration.startPosition = job.startPosition ?? configuration.defaultStartPosition
                declaration.firstDeclaredAt = Date()
            }
            declarations.append(declaration)
            if let existing, JobVersion.isOlder(declaration.version, than: existing.version) { continue }
            if let existing, existing == declaration { continue }
            records.append(KafkaProducerMessage(topic: configuration.triggersTopic, record: try declaration.record()))
        }
        if !records.isEmpty { _ = try await producer.sendAll(records) }
        logger.info(
            "triggers declared",
            metadata: [
                "topic": "\(configuration.triggersTopic)", "jobs": "\(jobs.count)",
                "written": "\(records.count)",
            ])
        return declarations
    }
}

/// Publishes `io.sendEvent`'s events to `<p>.events` as CloudEvents keyed by `<source>/<id>` (the
/// receiver's keying), returning once each is acknowledged.
struct KafkaEventPublisher: EventPublisher {
    let producer: KafkaProducer
    let topic: String

    func publish(_ event: EventRecord) async throws {
        _ = try await producer.send(KafkaProducerMessage(topic: topic, record: CloudEvent.encode(event)))
    }
}
