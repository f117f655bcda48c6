import Foundation
import Logging

/// Answers where to start reading: another group's committed offsets, a partition's watermarks, and
/// the first offset at or after a time.
///
/// A time is asked of the brokers first (ListOffsets by time); where they cannot tell (librdkafka's
/// 2.0.2 mock cluster answers -1), it is found by reading record timestamps: a binary search over the
/// partition that reads one record per step, so about 20 reads for a million records. Record
/// timestamps are assumed to grow with the offset (producer create time), as Kafka's own index does.
public final class KafkaOffsetLookup: Sendable {
    private let configuration: KafkaConfiguration
    private let blocking = BlockingThread(label: "tributary.kafka.lookup")
    private let logger: Logger

    /// A lookup on the cluster of `configuration`; each question opens a client of its own.
    public init(configuration: KafkaConfiguration, logger: Logger = Logger(label: "tributary.kafka.lookup")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The offsets `group` committed for these partitions (absent where it committed none), without joining it.
    public func committed(
        group: String, partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let settings = configuration.librdkafkaSettings(extra: ["group.id": group, "enable.auto.commit": "false"])
        let logger = logger
        return try await blocking.run { () throws(KafkaError) in
            let client = try RdKafkaClient(kind: .consumer, settings: settings, context: RdKafkaContext(logger: logger))
            defer { client.destroy() }
            return try client.committed(partitions, timeoutMs: Int32(timeout.wholeMilliseconds)).filter { $0.value >= 0 }
        }
    }

    /// The low and high watermarks of a partition.
    public func watermarks(
        _ partition: KafkaTopicPartition, timeout: Duration = .seconds(5)
    ) async throws(KafkaError) -> (low: Int64, high: Int64) {
        let settings = readerSettings
        let logger = logger
        return try await blocking.run { () throws(KafkaError) in
            let client = try RdKafkaClient(kind: .consumer, settings: settings, context: RdKafkaContext(logger: logger))
            defer { client.destroy() }
            return try client.watermarks(partition, timeoutMs: Int32(timeout.wholeMilliseconds))
        }
    }

    /// The first offset of each partition whose record's timestamp is at or after `time` (the high
    /// watermark when there is none): where to start to read everything from `time` on.
    public func offsets(
        atOrAfter time: Date, partitions: [KafkaTopicPartition], timeout: Duration = .seconds(30)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let settings = readerSettings
        let logger = logger
        let milliseconds = Int64((time.timeIntervalSince1970 * 1000).rounded(.down))
        return try await blocking.run { () throws(KafkaError) in
            let client = try RdKafkaClient(kind: .consumer, settings: settings, context: RdKafkaContext(logger: logger))
            defer { client.destroy() }
            let timeoutMs = Int32(timeout.wholeMilliseconds)
            let answered = (try? client.offsetsForTimes(partitions, milliseconds: milliseconds, timeoutMs: timeoutMs)) ?? [:]
            var result: [KafkaTopicPartition: Int64] = [:]
            for partition in partitions {
                let marks = try client.watermarks(partition, timeoutMs: timeoutMs)
                if let offset = answered[partition], offset >= marks.low, offset <= marks.high {
                    result[partition] = offset
                    continue
                }
                result[partition] = try Self.search(
                    client, partition, low: marks.low, high: marks.high,
                    atOrAfter: milliseconds, timeoutMs: timeoutMs)
            }
            return result
        }
    }

    private var readerSettings: [(key: String, value: String, origin: String?)] {
        configuration.librdkafkaSettings(extra: [
            "group.id": "tributary-lookup-\(UUID().uuidString)", "enable.auto.commit": "false",
            "enable.auto.offset.store": "false", "enable.partition.eof": "true", "fetch.wait.max.ms": "10",
        ])
    }

    /// Binary search for the first offset in `low..<high` whose timestamp is at or after `milliseconds`.
    private static func search(
        _ client: RdKafkaClient, _ partition: KafkaTopicPartition, low: Int64, high: Int64,
        atOrAfter milliseconds: Int64, timeoutMs: Int32
    ) throws(KafkaError) -> Int64 {
        var low = low
        var high = high
        var answer = high
        while low < high {
            let middle = low + (high - low) / 2
            // The first record at or after `middle` (a compacted topic has gaps).
            guard let (offset, timestamp) = try firstRecord(client, partition, from: middle, before: high, timeoutMs: timeoutMs) else {
                high = middle
                continue
            }
            if timestamp >= milliseconds {
                answer = offset
                high = middle
            } else {
                low = offset + 1
            }
        }
        return answer
    }

    /// Reads the first record of `partition` at or after `offset` (nil if there is none before `before`).
    private static func firstRecord(
        _ client: RdKafkaClient, _ partition: KafkaTopicPartition, from offset: Int64, before: Int64,
        timeoutMs: Int32
    ) throws(KafkaError) -> (Int64, Int64)? {
        try client.assign([(partition, offset)])
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeoutMs))
        while ContinuousClock.now < deadline {
            for polled in client.consumerPoll(timeoutMs: 100, maximum: 8) {
                switch polled {
                case .message(let message) where message.topicPartition == partition:
                    guard message.offset < before else { return nil }
                    let milliseconds = message.timestamp.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? 0
                    return (message.offset, milliseconds)
                case .partitionEnd(let end, _) where end == partition:
                    return nil
                default:
                    continue
                }
            }
        }
        throw KafkaError(code: .timedOut, message: "reading \(partition) at offset \(offset) timed out", isRetriable: true)
    }
}
