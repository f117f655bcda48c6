import Foundation
import Logging

/// What a ``KafkaTopicReader`` yields: records, and once, the moment it reached the end it saw at start.
public enum KafkaTopicEvent: Sendable, Hashable {
    case message(KafkaMessage)
    /// Every partition was read up to the high-water mark it had when the reader started.
    case caughtUp
}

/// Reads chosen partitions of a topic (or all of them) from the beginning up to the high-water mark,
/// says so with ``KafkaTopicEvent/caughtUp``, and keeps following. No consumer group, no commits:
/// for in-memory views of compacted topics (`<p>.sources`, `<p>.triggers`) and for rebuilding state.
public final class KafkaTopicReader: AsyncSequence, Sendable {
    public typealias Element = KafkaTopicEvent

    private let buffer: MessageBuffer<KafkaTopicEvent>
    private let lifecycle: ConsumerLifecycle

    /// Starts reading `topic` (only `partitions` if given) from the beginning, or from `startOffsets`
    /// where given (partition to offset), on a poll thread of its own. The topic must exist; the reader
    /// waits up to `metadataTimeout` for it to show in the metadata.
    public init(
        configuration: KafkaConfiguration,
        topic: String,
        partitions: [Int32]? = nil,
        startOffsets: [Int32: Int64] = [:],
        metadataTimeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "tributary.kafka.reader")
    ) throws(KafkaError) {
        let properties = [
            "group.id": "tributary-reader-\(UUID().uuidString)",
            "enable.auto.commit": "false",
            "enable.auto.offset.store": "false",
            "enable.partition.eof": "true",
            "fetch.wait.max.ms": "100",
        ]
        let client = try RdKafkaClient(
            kind: .consumer, settings: configuration.librdkafkaSettings(extra: properties),
            context: RdKafkaContext(logger: logger))
        let buffer = MessageBuffer<KafkaTopicEvent>(capacity: 10_000)
        let lifecycle = ConsumerLifecycle()
        self.buffer = buffer
        self.lifecycle = lifecycle
        let thread = Thread {
            defer {
                client.destroy()
                buffer.finish()
                lifecycle.finish()
            }
            // Which partitions, and where each one ends now.
            let deadline = ContinuousClock.now + metadataTimeout
            var chosen: [Int32] = []
            while !lifecycle.stopRequested {
                let found = (try? client.topics(timeoutMs: 2000))?.first { $0.name == topic }
                if let found, !found.partitions.isEmpty {
                    chosen = partitions.map { wanted in found.partitions.filter(wanted.contains) } ?? found.partitions
                    break
                }
                if ContinuousClock.now > deadline {
                    logger.error("topic not found; the reader stops", metadata: ["topic": "\(topic)"])
                    return
                }
                usleep(200_000)
            }
            var remaining: [Int32: Int64] = [:]  // partition -> high-water mark still to reach
            for partition in chosen {
                let key = KafkaTopicPartition(topic: topic, partition: partition)
                while !lifecycle.stopRequested {
                    do {
                        let marks = try client.watermarks(key, timeoutMs: 5000)
                        if marks.high > Swift.max(marks.low, startOffsets[partition] ?? marks.low) { remaining[partition] = marks.high }
                        break
                    } catch {
                        logger.warning("watermarks unavailable, retrying", metadata: ["error": "\(error)"])
                        usleep(200_000)
                    }
                }
            }
            do {
                try client.assign(chosen.map { (KafkaTopicPartition(topic: topic, partition: $0), startOffsets[$0]) })
            } catch {
                logger.error("assign failed; the reader stops", metadata: ["error": "\(error)"])
                return
            }
            var announced = false
            var batch: [MessageBuffer<KafkaTopicEvent>.Item] = []
            func announceIfDone() {
                if !announced && remaining.isEmpty {
                    announced = true
                    batch.append((.caughtUp, nil))
                }
            }
            announceIfDone()
            buffer.push(batch) { lifecycle.stopRequested }
            while !lifecycle.stopRequested {
                batch = []
                for polled in client.consumerPoll(timeoutMs: 100) {
                    switch polled {
                    case .message(let message):
                        batch.append((.message(message), nil))
                        if let high = remaining[message.partition], message.offset + 1 >= high {
                            remaining[message.partition] = nil
                            announceIfDone()
                        }
                    case .partitionEnd(let partition, let offset):
                        if let high = remaining[partition.partition], offset >= high {
                            remaining[partition.partition] = nil
                            announceIfDone()
                        }
                    case .error(let error):
                        logger.warning("reader error", metadata: ["error": "\(error)"])
                    }
                }
                buffer.push(batch) { lifecycle.stopRequested }
            }
            lifecycle.waitForCalls()
        }
        thread.name = "kafka-reader-poll"
        thread.start()
    }

    /// An iterator over the events; only one task may iterate at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: MessageBufferIterator<KafkaTopicEvent>
        public mutating func next() async -> KafkaTopicEvent? { await base.next() }
        /// Every event the reader has at hand (suspending until there is one): for a consumer that
        /// writes in batches, e.g. one database transaction per batch. Nil once the reader stopped.
        public mutating func nextBatch() async -> [KafkaTopicEvent]? { await base.nextBatch() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: MessageBufferIterator(buffer: buffer)) }

    /// Stops reading; iteration ends.
    public func close() async { await lifecycle.stop() }

    deinit { lifecycle.requestStop() }
}
