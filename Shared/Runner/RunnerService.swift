import Foundation
import Kafka
import Logging
import ServiceLifecycle
import ServiceSupport
import Synchronization
import Tributary

/// The runner as a swift-service-lifecycle `Service`: declares its jobs' triggers on
/// `<p>.triggers`, joins the consumer group, runs matching jobs, and on graceful shutdown stops
/// taking events, finishes the runs in flight (up to the drain timeout), commits and leaves the group.
public final class RunnerService: Service, Sendable {
    /// The hosted jobs.
    public let jobs: [RunnerJob]
    /// The configuration.
    public let configuration: RunnerConfiguration
    /// The metrics `/metrics` shows.
    public let metrics: RunnerMetrics
    private let logger: Logger
    private let phase = Mutex(Phase.starting)
    private let dispatcher = Mutex<RunDispatcher?>(nil)

    private enum Phase { case starting, running, draining, stopped }

    /// A runner for `jobs`; throws when two jobs share an id or a trigger cannot be declared.
    public init(configuration: RunnerConfiguration, jobs: [RunnerJob], logger: Logger = Logger(label: "tributary.runner")) throws {
        var seen = Set<String>()
        for job in jobs {
            guard seen.insert(job.id).inserted else { throw ConfigurationError("two jobs have the id '\(job.id)'") }
            do { _ = try job.job.declaration() } catch {
                throw ConfigurationError("job '\(job.id)' has an invalid trigger: \(error)")
            }
        }
        self.jobs = jobs
        self.configuration = configuration
        self.metrics = RunnerMetrics(jobIds: jobs.map(\.id))
        self.logger = logger
    }

    /// Whether the runner is consuming (triggers declared, group joined) and not shutting down.
    public var isReady: Bool { phase.withLock { $0 == .running } }

    /// The event partitions this runner holds now (restored from `<p>.runs` and running their events).
    public var assignedPartitions: Set<KafkaTopicPartition> { dispatcher.withLock { $0 }?.assigned ?? [] }

    /// Runs until graceful shutdown (or cancellation), then drains, commits and leaves the group.
    public func run() async throws {
        let configuration = configuration
        let producer = try KafkaProducer(configuration: configuration.kafka, logger: quiet("tributary.runner.producer"))
        defer { phase.withLock { $0 = .stopped } }
        let runsPartitions = try await checkTopics()
        try await declareTriggers(producer)

        let writer = RecordWriter(producer: producer, logger: logger)
        let history = RunHistory()
        let consumerBox = Mutex<KafkaConsumer?>(nil)
        let logger = logger
        let dispatcher = RunDispatcher(
            jobs: jobs, configuration: configuration, runsPartitionCount: runsPartitions, writer: writer, history: history,
            metrics: metrics, logger: logger,
            markDone: { partition, offset in
                do { try consumerBox.withLock { $0 }?.markDone(partition, offset: offset) } catch {
                    logger.warning("marking an offset done failed", metadata: [
                        LogKey.topic: "\(partition.topic)", LogKey.partition: "\(partition.partition)", LogKey.error: "\(error)"])
                }
            })
        self.dispatcher.withLock { $0 = dispatcher }
        var consumerSettings = KafkaConsumerConfiguration(
            groupID: configuration.groupID, topics: [configuration.eventsTopic] + configuration.extraTopics)
        consumerSettings.sessionTimeout = configuration.sessionTimeout
        consumerSettings.properties = configuration.consumerProperties
        let consumer = try KafkaConsumer(
            configuration: configuration.kafka, consumerConfiguration: consumerSettings,
            rebalanceHandler: KafkaRebalanceHandler(
                onAssign: { await dispatcher.assign($0) },
                onRevoke: { await dispatcher.revoke($0) }),
            logger: quiet("tributary.runner.consumer"))
        consumerBox.withLock { $0 = consumer }
        phase.withLock { $0 = .running }
        logger.info("runner started", metadata: [
            "group": "\(configuration.groupID)", "topics": "\(consumerSettings.topics)", "jobs": "\(jobs.map(\.id))"])

        await withDiscardingTaskGroup { group in
            group.addTask { await writer.run() }
            group.addTask {
                for await message in consumer { await dispatcher.dispatch(message) }
            }
            let lag = Task { await self.reportLag(consumer, dispatcher) }

            try? await gracefulShutdown()
            phase.withLock { $0 = .draining }
            logger.info("draining: no new runs; waiting for runs in flight", metadata: ["deadline": "\(configuration.drainTimeout)"])
            await dispatcher.drainAll()
            do { try await consumer.commit() } catch {
                logger.warning("final commit failed", metadata: [LogKey.error: "\(error)"])
            }
            await consumer.close()
            writer.stop()
            lag.cancel()
        }
        await producer.shutdown()
        logger.info("runner stopped: offsets committed, group left")
    }

    private func quiet(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = max(self.logger.logLevel, .notice)
        return logger
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
                if let events, let runs {
                    guard events.partitions.count == runs.partitions.count else {
                        throw ConfigurationError(
                            "\(configuration.runsTopic) has \(runs.partitions.count) partitions but \(configuration.eventsTopic) has \(events.partitions.count): they must be co-partitioned")
                    }
                    return Int32(runs.partitions.count)
                }
                if ContinuousClock.now > deadline {
                    throw ConfigurationError(
                        "topics \(configuration.eventsTopic) and \(configuration.runsTopic) do not exist (TRIBUTARY_TOPIC_PREFIX=\(configuration.topicPrefix)): create them first (tributary broker / tributary topics)")
                }
            } catch let error as KafkaError where ContinuousClock.now < deadline {
                logger.warning("cluster metadata unavailable; retrying", metadata: [LogKey.error: "\(error)"])
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Publishes each job's trigger declaration on `<p>.triggers` (key: job id) and waits for the broker.
    private func declareTriggers(_ producer: KafkaProducer) async throws {
        let records = try jobs.map {
            KafkaProducerMessage(topic: configuration.triggersTopic, record: try $0.job.declaration().record())
        }
        _ = try await producer.sendAll(records)
        logger.info("triggers declared", metadata: ["topic": "\(configuration.triggersTopic)", "jobs": "\(jobs.count)"])
    }

    /// Every 5 s, sets the consumer lag of each partition: its high-water mark minus the next offset to commit.
    private func reportLag(_ consumer: KafkaConsumer, _ dispatcher: RunDispatcher) async {
        while !Task.isCancelled {
            for partition in consumer.assignment {
                guard let marks = try? await consumer.watermarks(partition) else { continue }
                let next = dispatcher.positions[partition] ?? marks.high
                metrics.setLag(topic: partition.topic, partition: partition.partition, max(0, marks.high - next))
            }
            try? await Task.sleep(for: .seconds(5))
        }
    }
}
