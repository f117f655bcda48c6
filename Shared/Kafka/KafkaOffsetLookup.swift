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
    private let clientLogger: Logger

    /// A lookup on the cluster of `configuration`; each question opens a client of its own. `logger`
    /// takes the lookup's own lines; its clients' librdkafka lines are kept to errors (connection
    /// chatter of short-lived clients).
    public init(configuration: KafkaConfiguration, logger: Logger = Logger(label: "tributary.kafka.lookup")) {
        self.configuration = configuration
        self.logger = logger
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .error)
        self.clientLogger = quiet
    }

    /// The offsets `group` committed for these partitions (absent where it committed none), without joining it.
    public func committed(
        group: String, partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let settings = configuration.librdkafkaSettings(extra: ["group.id": group, "enable.auto.commit": "false"])
        let clientLogger = clientLogger
        return try await blocking.run { () throws(KafkaError) in
            let client = try RdKafkaClient(kind: .consumer, settings: settings, context: RdKafkaContext(logger: clientLogger))
            defer { client.destroy() }
            return try client.committed(partitions, timeoutMs: Int32(timeout.wholeMilliseconds)).filter { $0.value >= 0 }
        }
    }

    /// The low and high watermarks of a partition.
    public func watermarks(
        _ partition: KafkaTopicPartition, timeout: Duration = .seconds(5)
    ) async throws(KafkaError) -> (low: Int64, high: Int64) {
        let settings = readerSettings
        let clientLogger = clientLogger
        return try await blocking.run { () throws(KafkaError) in
            let client = try RdKafkaClient(kind: .consumer, settings: settings, context: RdKafkaContext(logger: clientLogger))
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
        let clientLogger = clientLogger
        let milliseconds = Int64((time.timeIntervalSince1970 * 1000).rounded(.down))
        return try await blocking.run { () throws(KafkaError) in
            let client = try RdKafkaClient(kind: .consumer, settings: settings, context: RdKafkaContext(logger: clientLogger))
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
                    atOrAfter: milliseconds, timeoutMs: timeoutMs, logger: logger)
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
        atOrAfter milliseconds: Int64, timeoutMs: Int32, logger: Logger
    ) throws(KafkaError) -> Int64 {
        var low = low
        var high = high
        var answer = high
        while low < high {
            let middle = low + (high - low) / 2
            // The first record at or after `middle` (a compacted topic has gaps).
            guard
                let (offset, timestamp) = try firstRecord(
                    client, partition, from: middle, before: high, timeoutMs: timeoutMs, logger: logger)
            else {
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
    ///
    /// Records and partition ends left from an earlier step's assignment are passed over (their offsets
    /// are below `offset`). When nothing arrives for a second the partition is assigned again: a
    /// re-assignment of a partition just released can, rarely and under load, leave it unfetched.
    private static func firstRecord(
        _ client: RdKafkaClient, _ partition: KafkaTopicPartition, from offset: Int64, before: Int64,
        timeoutMs: Int32, logger: Logger
    ) throws(KafkaError) -> (Int64, Int64)? {
        try client.assign([(partition, offset)])
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(timeoutMs))
        var quietSince = clock.now
        while clock.now < deadline {
            let polled = client.consumerPoll(timeoutMs: 100, maximum: 8)
            for item in polled {
                switch item {
                case .message(let message) where message.topicPartition == partition && message.offset >= offset:
                    guard message.offset < before else { return nil }
                    let milliseconds = message.timestamp.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? 0
                    return (message.offset, milliseconds)
                case .partitionEnd(let end, let endOffset) where end == partition && endOffset >= offset:
                    return nil
                default:
                    continue
                }
            }
            if clock.now - quietSince > .seconds(1) {
                logger.warning(
                    "no record or partition end within 1 s of assigning; assigning again",
                    metadata: [
                        "partition": "\(partition)", "offset": "\(offset)",
                    ])
                try client.assign([])
                try client.assign([(partition, offset)])
                quietSince = clock.now
            }
        }
        throw KafkaError(code: .timedOut, message: "reading \(partition) at offset \(offset) timed out", isRetriable: true)
    }
}
