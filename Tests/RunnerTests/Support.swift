import Foundation
@_exported import TestSupport
import TributaryKafka
import Logging
import ServiceLifecycle
import ServiceSupport
import Synchronization
import Tributary
import TributaryRunner

/// A fresh embedded cluster with Tributary's topics (4 partitions) under a prefix, stopped when the test ends.
/// Clients and runners created in `body` log quietly; what they held back is printed if `body` throws
/// (``TestLogging``).
func withTributaryCluster<T>(
    prefix: String = "t", partitions: Int32 = 4, extraTopics: [String] = [],
    _ body: (EmbeddedKafkaCluster, TributaryTopics) async throws -> T
) async throws -> T {
    try await TestLogging.keepingLogs {
        let cluster = try EmbeddedKafkaCluster()
        defer { cluster.shutdown() }
        let topics = TributaryTopics(prefix: prefix, partitions: partitions)
        for topic in topics.all { try cluster.createTopic(topic) }
        for topic in extraTopics { try cluster.createTopic(KafkaTopicSpecification(name: topic, partitions: partitions)) }
        return try await body(cluster, topics)
    }
}

/// A runner service running in this process, in a `ServiceGroup` of its own.
final class RunningRunner: Sendable {
    let service: RunnerService
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// A runner of `jobs`; jobs declared for the first time start at the earliest offset unless
    /// `startPosition` says otherwise (tests publish before or after starting runners).
    init(
        _ kafka: KafkaConfiguration, prefix: String = "t", group groupID: String? = nil, extraTopics: [String] = [],
        jobs: [RunnerJob], drainTimeout: Duration = .seconds(5), startPosition: StartPosition = .earliest,
        dedupWindow: Duration = .seconds(7 * 86_400)
    ) throws {
        let logger = TestLogging.logger("test.runner")
        let configuration = RunnerConfiguration(
            kafka: kafka, topicPrefix: prefix, groupID: groupID, extraTopics: extraTopics,
            adminPort: 0, drainTimeout: drainTimeout, sessionTimeout: .seconds(6),
            printRunLogs: false, dedupWindow: dedupWindow,
            presenceInterval: .milliseconds(500), defaultStartPosition: startPosition)
        service = try RunnerService(configuration: configuration, jobs: jobs, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: logger))
        self.group = group
        task = Task { try await group.run() }
    }

    /// Waits until the runner holds partitions.
    func waitUntilAssigned(_ count: Int = 1) async throws {
        // A group join and the history restore: seconds on a quiet machine, much longer with the whole suite running.
        try await eventually("the runner holds \(count) partition(s)", timeout: .seconds(90)) {
            service.assignedPartitions.count >= count
        }
    }

    /// Shuts down gracefully and waits until the runner stopped.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

/// Collects values from many tasks: job side effects, records read.
final class Sink<Element: Sendable & Equatable>: Sendable {
    private let items = Mutex<[Element]>([])
    init() {}
    func append(_ item: Element) { items.withLock { $0.append(item) } }
    var all: [Element] { items.withLock { $0 } }
    func count(_ item: Element) -> Int { all.filter { $0 == item }.count }
}

/// Follows a topic from the beginning and keeps every record.
final class TopicCollector: Sendable {
    private let reader: KafkaTopicReader
    private let records: Sink<KafkaMessage>
    private let task: Task<Void, Never>

    init(_ kafka: KafkaConfiguration, topic: String) throws {
        let reader = try KafkaTopicReader(configuration: kafka, topic: topic, logger: TestLogging.logger("test.collector"))
        let records = Sink<KafkaMessage>()
        self.reader = reader
        self.records = records
        task = Task.detached {
            for await event in reader {
                if case .message(let message) = event { records.append(message) }
            }
        }
    }

    var all: [KafkaMessage] { records.all }

    /// Records decoded so far (tests read `runs` in every check of a wait: each record is decoded once).
    private struct Decoded<Value> {
        var seen = 0
        var values: [Value] = []

        /// The values of `all`, decoding only the messages not seen before.
        mutating func update(_ all: [KafkaMessage], _ decode: (KafkaMessage) -> Value?) -> [Value] {
            values += all.dropFirst(seen).compactMap(decode)
            seen = all.count
            return values
        }
    }

    private let decodedRuns = Mutex(Decoded<RunRecord>())
    private let decodedLetters = Mutex(Decoded<DLQRecord>())

    /// The run records read so far.
    var runs: [RunRecord] {
        let all = records.all
        return decodedRuns.withLock { $0.update(all) { try? RunRecord(record: WireRecord($0)) } }
    }

    /// The dead letters read so far.
    var deadLetters: [DLQRecord] {
        let all = records.all
        return decodedLetters.withLock { $0.update(all) { try? DLQRecord(record: WireRecord($0)) } }
    }

    func close() async { await reader.close() }
}

/// Publishes events (CloudEvents, binary mode) and raw records.
struct Publisher {
    let producer: KafkaProducer
    let topic: String

    init(_ kafka: KafkaConfiguration, topic: String) throws {
        producer = try KafkaProducer(configuration: kafka)
        self.topic = topic
    }

    @discardableResult
    func send(_ event: EventRecord) async throws -> KafkaDeliveryReport {
        try await producer.send(KafkaProducerMessage(topic: topic, record: CloudEvent.encode(event)))
    }

    @discardableResult
    func sendAll(_ events: [EventRecord]) async throws -> [KafkaDeliveryReport] {
        try await producer.sendAll(events.map { KafkaProducerMessage(topic: topic, record: CloudEvent.encode($0)) })
    }
}

/// Test events of the source `test.shop`.
enum Shop {
    struct Order: Decodable, Sendable {
        var id: String
        var total: Double
    }

    static let orderPlaced = EventSpecification<Order>(name: "order.placed", title: "Order placed", source: "test.shop")

    static func order(_ id: String, total: Double, partitionHint: Int = 0) -> EventRecord {
        EventRecord(id: id, name: "order.placed", source: "test.shop", payload: ["id": .string(id), "total": .number(total)])
    }
}
