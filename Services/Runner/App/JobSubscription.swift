import Foundation
import TributaryKafka
import Logging
import ServiceSupport
import Synchronization
import Tributary

/// One hosted job as its own subscriber: its own consumer group (`<RUNNER_GROUP>.<job id>`) on
/// `<p>.events` and `RUNNER_TOPICS`, its own committed offsets, run history, lanes and lag, the way a
/// Knative Trigger has its own group. So a runner never takes events of a job it does not host, and
/// runners with different job sets or versions share a cluster safely.
///
/// It consumes while its ``VersionGate`` says so. When a newer version of the job goes live elsewhere
/// it *hands over*: it stops taking events, lets its runs in flight finish, moves its partitions'
/// committed offsets back to the first event at or after the newer version's start (less a margin for
/// clock skew), and leaves the group; the newer version's runners, which wait for that, then join.
/// Events the older version already ran are skipped by the newer one (its run history has them); the
/// ones it passed over reach the newer one. A partition the group never committed starts from the
/// declaration's start position (or, for a job of the single-group era, from that group's offsets),
/// committed at once.
final class JobSubscription: Sendable {
    /// The hosted job.
    let job: RunnerJob
    /// The declaration this runner made (with the start position it recorded).
    let declaration: TriggerDeclaration
    /// The job's consumer group.
    let groupID: String

    private struct State {
        var dispatcher: RunDispatcher?
        var consumer: KafkaConsumer?
        var active = true
        var stopping = false
        var announced: String?
    }

    private let state = Mutex(State())
    private let signal = Wakeup()
    private let configuration: RunnerConfiguration
    private let runsPartitionCount: Int32
    private let writer: RecordWriter
    private let permits: RunPermits
    private let metrics: RunnerMetrics
    private let lookup: KafkaOffsetLookup
    private let history: RunHistory
    private let gate: VersionGate
    private let directory: @Sendable () -> JobDirectory
    private let waits: WaitDirectory
    private let events: any EventPublisher
    private let onActiveChange: @Sendable () -> Void
    private let logger: Logger

    /// A subscription for `job` as `declaration` declares it. `directory` reads the live view of
    /// `<p>.triggers`; `onActiveChange` is called when the subscription starts or stops consuming.
    init(
        job: RunnerJob, declaration: TriggerDeclaration, configuration: RunnerConfiguration, runsPartitionCount: Int32,
        writer: RecordWriter, permits: RunPermits, metrics: RunnerMetrics, directory: @escaping @Sendable () -> JobDirectory,
        waits: WaitDirectory, events: any EventPublisher, onActiveChange: @escaping @Sendable () -> Void, logger: Logger
    ) {
        self.job = job
        self.declaration = declaration
        self.groupID = configuration.groupID(job: job.id)
        self.configuration = configuration
        self.runsPartitionCount = runsPartitionCount
        self.writer = writer
        self.permits = permits
        self.metrics = metrics
        self.lookup = KafkaOffsetLookup(configuration: configuration.kafka, logger: logger)
        self.history = RunHistory(jobId: job.id, window: configuration.dedupWindow)
        self.gate = VersionGate(jobId: job.id, version: job.job.version, runnerId: configuration.runnerId)
        self.directory = directory
        self.waits = waits
        self.events = events
        self.onActiveChange = onActiveChange
        var logger = logger
        logger[metadataKey: LogKey.jobId] = "\(job.id)"
        self.logger = logger
    }

    /// Whether this runner consumes (or is about to consume) the job's events, as its presence says.
    var isActive: Bool { state.withLock { $0.active } }

    /// The partitions this subscription holds now (restored and accepting records).
    var assigned: Set<KafkaTopicPartition> { state.withLock { $0.dispatcher }?.assigned ?? [] }

    /// The next offset to commit of each partition held whose position is known.
    var positions: [KafkaTopicPartition: Int64] { state.withLock { $0.dispatcher }?.positions ?? [:] }

    /// Whether the subscription has joined its group and runs events.
    var isConsuming: Bool { state.withLock { $0.consumer != nil && $0.active } }

    /// Re-evaluates the version gate soon (the view of `<p>.triggers` changed).
    func wake() { signal.signal() }

    /// A `<p>.waits` record of this job changed (see ``RunDispatcher/waitChanged(_:)``).
    func waitChanged(_ record: WaitRecord) { state.withLock { $0.dispatcher }?.waitChanged(record) }

    /// How many of the job's runs wait in this runner.
    var waitingCount: Int { state.withLock { $0.dispatcher }?.waitingCount ?? 0 }

    /// Asks the subscription to drain, commit and leave its group; ``run()`` returns when it has.
    func stop() {
        state.withLock { $0.stopping = true }
        signal.signal()
    }

    private var stopping: Bool { state.withLock { $0.stopping } }

    /// Consumes while the version gate allows, until ``stop()``.
    func run() async {
        var waitingSince: ContinuousClock.Instant?
        while !stopping {
            switch gate.decide(directory()) {
            case .yield(let newer, _):
                announce("a newer version is live; not consuming", ["newerVersion": "\(newer)"])
                setActive(false)
                await signal.wait(timeout: configuration.presenceInterval)
                continue
            case .waitForOlder(let runners):
                let since = waitingSince ?? .now
                waitingSince = since
                if ContinuousClock.now - since < configuration.presenceTimeToLive {
                    announce("waiting for runners of older versions to hand over", ["runners": "\(runners)"])
                    setActive(true)
                    await signal.wait(timeout: configuration.presenceInterval)
                    continue
                }
                logger.warning(
                    "runners of older versions did not hand over in time; consuming beside them",
                    metadata: ["runners": "\(runners)"])
            case .consume:
                break
            }
            waitingSince = nil
            setActive(true)
            do {
                try await consume()
            } catch {
                logger.error("the job's consumer could not start; retrying", metadata: [LogKey.error: "\(error)"])
                await signal.wait(timeout: .seconds(1))
            }
        }
    }

    /// Logs a gate state once, until it changes.
    private func announce(_ message: String, _ metadata: Logger.Metadata) {
        let new = state.withLock { state -> Bool in
            defer { state.announced = message }
            return state.announced != message
        }
        if new { logger.info("\(message)", metadata: metadata) }
    }

    private func setActive(_ active: Bool) {
        let changed = state.withLock { state -> Bool in
            defer { state.active = active }
            return state.active != active
        }
        if changed { onActiveChange() }
    }

    /// Joins the job's group and runs its events until the subscription stops or hands over.
    private func consume() async throws {
        let consumerBox = Mutex<KafkaConsumer?>(nil)
        let logger = logger
        let dispatcher = RunDispatcher(
            jobs: [job], configuration: configuration, runsPartitionCount: runsPartitionCount, writer: writer, history: history,
            metrics: metrics, permits: permits, waits: waits, events: events, logger: logger,
            markDone: { partition, offset in
                do { try consumerBox.withLock { $0 }?.markDone(partition, offset: offset) } catch {
                    logger.warning(
                        "marking an offset done failed",
                        metadata: [
                            LogKey.topic: "\(partition.topic)", LogKey.partition: "\(partition.partition)", LogKey.error: "\(error)",
                        ])
                }
            })
        // A flow-controlled job also reads `<p>.flow`, where its events come back routed by key.
        let flowTopics = job.job.flow == nil ? [] : [configuration.flowTopic]
        var settings = KafkaConsumerConfiguration(
            groupID: groupID, topics: [configuration.eventsTopic] + configuration.extraTopics + flowTopics)
        settings.sessionTimeout = configuration.sessionTimeout
        settings.properties = configuration.consumerProperties
        var quiet = Logger(label: "tributary.runner.consumer")
        quiet.logLevel = max(self.logger.logLevel, .notice)
        let consumer = try KafkaConsumer(
            configuration: configuration.kafka, consumerConfiguration: settings,
            rebalanceHandler: KafkaRebalanceHandler(
                onAssign: { await dispatcher.assign($0) },
                onRevoke: { await dispatcher.revoke($0) },
                startOffsets: { [self] in await startOffsets($0) }),
            logger: quiet)
        consumerBox.withLock { $0 = consumer }
        state.withLock { state in
            state.dispatcher = dispatcher
            state.consumer = consumer
            state.announced = nil
        }
        logger.info("consuming", metadata: ["group": "\(groupID)", "version": "\(job.job.version)"])
        // The dispatch loop (it ends when the consumer is closed) and the lag reporter (stopped after
        // that) are child tasks: this returns only once both have ended.
        let lag = StoppableTasks()
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await message in consumer { await dispatcher.dispatch(message) }
            }
            group.addTask { await lag.run([{ await self.reportLag(consumer, dispatcher) }]) }
            while true {
                await signal.wait(timeout: configuration.presenceInterval)
                if stopping {
                    await dispatcher.drainAll()
                    do { try await consumer.commit() } catch {
                        logger.warning("final commit failed", metadata: [LogKey.error: "\(error)"])
                    }
                    break
                }
                if case .yield(let newer, let since) = gate.decide(directory()) {
                    await handOver(consumer, dispatcher, to: newer, since: since)
                    break
                }
            }
            await consumer.close()
            await lag.stop()
        }
        state.withLock { state in
            state.dispatcher = nil
            state.consumer = nil
        }
    }

    /// Re-reads the partitions this runner holds of the job from the first event at or after `time`
    /// (`tributary jobs rewind`): runs in flight finish first; runs that finished within the dedup
    /// window are skipped again. Returns the new offsets, or nil when this runner does not consume the job.
    func rewind(to time: Date) async throws -> [KafkaTopicPartition: Int64]? {
        let held = state.withLock { state -> (RunDispatcher, KafkaConsumer)? in
            guard state.active, let dispatcher = state.dispatcher, let consumer = state.consumer else { return nil }
            return (dispatcher, consumer)
        }
        guard let (dispatcher, consumer) = held else { return nil }
        let partitions = Array(dispatcher.assigned)
        guard !partitions.isEmpty else { return [:] }
        let offsets = try await lookup.offsets(atOrAfter: time, partitions: partitions)
        await dispatcher.rewind(offsets)
        try await consumer.seek(offsets)
        logger.notice(
            "rewound",
            metadata: [
                "to": "\(RFC3339.string(from: time))",
                "offsets": "\(offsets.sorted { $0.key < $1.key }.map { "\($0.key.partition)@\($0.value)" })",
            ])
        return offsets
    }

    /// Stops taking events, lets the runs in flight finish, moves the committed offsets back to the
    /// first event at or after `since` (less the margin), and leaves the group to the newer version.
    private func handOver(_ consumer: KafkaConsumer, _ dispatcher: RunDispatcher, to newer: String, since: Date) async {
        let from = since.addingTimeInterval(-configuration.handoverMargin.seconds)
        logger.info(
            "a newer version is live: handing over",
            metadata: [
                "newerVersion": "\(newer)", "from": "\(RFC3339.string(from: from))",
            ])
        await dispatcher.drainAll()
        let partitions = Array(consumer.assignment)
        do {
            try await consumer.commit()
            let committed = try await consumer.committedOffsets(partitions)
            let back = try await lookup.offsets(atOrAfter: from, partitions: partitions)
            var moves: [KafkaTopicPartition: Int64] = [:]
            for partition in partitions {
                guard let target = back[partition] else { continue }
                if let current = committed[partition] ?? nil, current <= target { continue }
                moves[partition] = target
            }
            if !moves.isEmpty { try await consumer.commit(moves) }
            logger.info("handed over", metadata: ["movedBack": "\(moves.count)", "partitions": "\(partitions.count)"])
        } catch {
            // The newer version then starts where this one stopped: events passed over after `since` on
            // these partitions are not run by it. Said loudly, since it is the one gap in the handover.
            logger.error("moving offsets back for the newer version failed", metadata: [LogKey.error: "\(error)"])
        }
        setActive(false)
    }

    /// Where partitions the group never committed start: the single-group era's offsets for a job of
    /// that era, otherwise the declared start position.
    private func startOffsets(_ partitions: [KafkaTopicPartition]) async -> [KafkaTopicPartition: Int64] {
        var result: [KafkaTopicPartition: Int64] = [:]
        if let legacy = declaration.startsFromGroup {
            do {
                result = try await lookup.committed(group: legacy, partitions: partitions)
                if !result.isEmpty {
                    logger.notice(
                        "new job group starts from the earlier group's committed offsets",
                        metadata: [
                            "from": "\(legacy)", "partitions": "\(result.count)",
                        ])
                }
            } catch {
                logger.warning("the earlier group's offsets are unavailable", metadata: ["from": "\(legacy)", LogKey.error: "\(error)"])
            }
        }
        let rest = partitions.filter { result[$0] == nil }
        guard !rest.isEmpty else { return result }
        let position = declaration.startPosition ?? .latest
        let began = ContinuousClock.now
        do {
            switch position {
            case .latest:
                // Latest as of the job's first declaration, on every partition alike.
                if let first = declaration.firstDeclaredAt {
                    result.merge(try await lookup.offsets(atOrAfter: first, partitions: rest)) { old, _ in old }
                } else {
                    for partition in rest { result[partition] = try await lookup.watermarks(partition).high }
                }
            case .earliest:
                for partition in rest { result[partition] = try await lookup.watermarks(partition).low }
            case .time(let date):
                result.merge(try await lookup.offsets(atOrAfter: date, partitions: rest)) { old, _ in old }
            }
            logger.info(
                "job starts from its declared position",
                metadata: [
                    "position": "\(position)", "partitions": "\(rest.sorted().map { "\($0.partition)@\(result[$0] ?? -1)" })",
                    "took": "\(ContinuousClock.now - began)",
                ])
        } catch {
            // Left to `auto.offset.reset` (earliest): more runs, never fewer; the dedup window skips finished ones.
            logger.warning("start position unavailable; starting at the earliest offset", metadata: [LogKey.error: "\(error)"])
        }
        return result
    }

    /// Every 5 s, sets the job's consumer lag of each partition: high-water mark minus the next offset to commit.
    private func reportLag(_ consumer: KafkaConsumer, _ dispatcher: RunDispatcher) async {
        while !Task.isCancelled {
            for partition in consumer.assignment {
                guard let marks = try? await consumer.watermarks(partition) else { continue }
                let next = dispatcher.positions[partition] ?? marks.high
                metrics.setLag(job: job.id, topic: partition.topic, partition: partition.partition, max(0, marks.high - next))
            }
            try? await Task.sleep(for: .seconds(5))
        }
    }
}
