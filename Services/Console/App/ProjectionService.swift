import Foundation
import Logging
import ServiceLifecycle
import ServiceSupport
import Synchronization
import Tributary
import TributaryKafka

/// Follows the console's topics into its ``ConsoleStore``: one reader per topic, starting at the
/// offsets the database holds (the beginning for a new file), each batch the reader has at hand
/// applied with its offsets in one transaction, then announced on ``ConsoleUpdates``. Runs, dead
/// letters and deliveries older than the retention are pruned after a batch, at most once a minute.
public final class ProjectionService: Service, Sendable {
    private let store: ConsoleStore
    private let projection: ConsoleProjection
    private let kafka: KafkaConfiguration
    private let updates: ConsoleUpdates
    private let retention: Duration
    private let logger: Logger
    private let caughtUp = Mutex<Set<String>>([])
    private let lastPrune = Mutex<Date>(.distantPast)
    private let applied = Atomic<Int>(0)

    /// A projection of `projection`'s topics on `kafka` into `store`.
    public init(
        store: ConsoleStore, projection: ConsoleProjection, kafka: KafkaConfiguration, updates: ConsoleUpdates, retention: Duration,
        logger: Logger
    ) {
        self.store = store
        self.projection = projection
        self.kafka = kafka
        self.updates = updates
        self.retention = retention
        self.logger = logger
    }

    /// Whether every topic has been read up to where it ended when the console started.
    public var isCaughtUp: Bool { caughtUp.withLock { $0.count == projection.topics.count } }

    /// Records applied since start.
    public var appliedCount: Int { applied.load(ordering: .relaxed) }

    public func run() async throws {
        let offsets = try store.offsets()
        let readers = try projection.topics.map { topic in
            (topic, try KafkaTopicReader(configuration: kafka, topic: topic, startOffsets: offsets[topic] ?? [:], logger: logger))
        }
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (topic, reader) in readers {
                    group.addTask { try await self.follow(topic, reader) }
                }
                try await group.waitForAll()
            }
        } onGracefulShutdown: {
            Task { for (_, reader) in readers { await reader.close() } }
        }
    }

    private func follow(_ topic: String, _ reader: KafkaTopicReader) async throws {
        var iterator = reader.makeAsyncIterator()
        while let events = await iterator.nextBatch() {
            var batch: [ProjectedRecord] = []
            var reachedEnd = false
            for event in events {
                switch event {
                case .message(let message):
                    let change = projection.change(for: message)
                    if case .skip(let reason) = change {
                        logger.debug(
                            "record skipped",
                            metadata: [LogKey.topic: "\(topic)", LogKey.offset: "\(message.offset)", LogKey.error: "\(reason)"])
                    }
                    batch.append(ProjectedRecord(change: change, topic: topic, partition: message.partition, offset: message.offset))
                case .caughtUp:
                    reachedEnd = true
                }
            }
            try store.apply(batch)
            applied.add(batch.count, ordering: .relaxed)
            if reachedEnd { _ = caughtUp.withLock { $0.insert(topic) } }
            announce(batch)
            pruneIfDue()
        }
    }

    private func announce(_ batch: [ProjectedRecord]) {
        var runIds: [String] = []
        var channels = Set<ConsoleChannel>()
        for item in batch {
            guard let channel = item.change.channel else { continue }
            channels.insert(channel)
            if case .run(let run) = item.change { runIds.append(run.runId) }
        }
        for channel in channels {
            updates.publish(ConsoleUpdate(channel: channel, runIds: channel == .runs ? runIds : []))
        }
    }

    private func pruneIfDue(now: Date = Date()) {
        let due = lastPrune.withLock { last -> Bool in
            guard now.timeIntervalSince(last) >= 60 else { return false }
            last = now
            return true
        }
        guard due else { return }
        do {
            let removed = try store.prune(before: now.addingTimeInterval(-retention.seconds))
            if removed > 0 { logger.info("pruned rows older than the retention", metadata: ["rows": "\(removed)"]) }
        } catch {
            logger.warning("pruning failed", metadata: [LogKey.error: "\(error)"])
        }
    }
}
