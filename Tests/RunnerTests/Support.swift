import Foundation
import Kafka
import Logging
import ServiceLifecycle
import ServiceSupport
import Synchronization
import Tributary
import TributaryRunner

/// Waits until `condition` holds, checking every 20 ms, or fails after `timeout`.
func eventually(
    _ what: @autoclosure () -> String, timeout: Duration = .seconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TimeoutError(what: what())
}

struct TimeoutError: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for: \(what)" }
}

/// A fresh embedded cluster with Tributary's topics (4 partitions) under a prefix, stopped when the test ends.
func withTributaryCluster<T>(
    prefix: String = "t", partitions: Int32 = 4, extraTopics: [String] = [],
    _ body: (EmbeddedKafkaCluster, TributaryTopics) async throws -> T
) async throws -> T {
    let cluster = try EmbeddedKafkaCluster()
    defer { cluster.shutdown() }
    let topics = TributaryTopics(prefix: prefix, partitions: partitions)
    for topic in topics.all { try cluster.createTopic(topic) }
    for topic in extraTopics { try cluster.createTopic(KafkaTopicSpecification(name: topic, partitions: partitions)) }
    return try await body(cluster, topics)
}

/// A runner service running in this process, in a `ServiceGroup` of its own.
final class RunningRunner: Sendable {
    let service: RunnerService
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    init(_ kafka: KafkaConfiguration, prefix: String = "t", group groupID: String? = nil, extraTopics: [String] = [],
         jobs: [RunnerJob], drainTimeout: Duration = .seconds(5)) throws {
        var logger = Logger(label: "test.runner")
        logger.logLevel = .notice
        let configuration = RunnerConfiguration(kafka: kafka, topicPrefix: prefix, groupID: groupID, extraTopics: extraTopics,
                                                adminPort: 0, drainTimeout: drainTimeout, sessionTimeout: .seconds(6),
                                                printRunLogs: false)
        service = try RunnerService(configuration: configuration, jobs: jobs, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: logger))
        self.group = group
        task = Task { try await group.run() }
    }

    /// Waits until the runner holds partitions.
    func waitUntilAssigned(_ count: Int = 1) async throws {
        try await eventually("the runner holds \(count) partition(s)", timeout: .seconds(30)) {
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
        var quiet = Logger(label: "test.collector")
        quiet.logLevel = .error
        let reader = try KafkaTopicReader(configuration: kafka, topic: topic, logger: quiet)
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

    /// The run records read so far.
    var runs: [RunRecord] { all.compactMap { try? RunRecord(record: WireRecord($0)) } }

    /// The dead letters read so far.
    var deadLetters: [DLQRecord] { all.compactMap { try? DLQRecord(record: WireRecord($0)) } }

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

    func sendAll(_ events: [EventRecord]) async throws {
        _ = try await producer.sendAll(events.map { KafkaProducerMessage(topic: topic, record: CloudEvent.encode($0)) })
    }
}

/// A built executable of this package, next to the test bundle.
func productURL(_ name: String) -> URL {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory.deleteLastPathComponent()
    }
    return URL(fileURLWithPath: ".build/debug/\(name)")
}

/// A child process whose standard output and error lines are collected as they arrive.
final class ChildProcess: Sendable {
    private let process: Process
    private let output = LineCollector()
    private let errors = LineCollector()

    init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        let errorPipe = Pipe()
        process.standardOutput = pipe
        process.standardError = errorPipe
        for (handle, collector) in [(pipe.fileHandleForReading, output), (errorPipe.fileHandleForReading, errors)] {
            handle.readabilityHandler = { handle in
                let data = handle.availableData
                if !data.isEmpty { collector.append(data) }
            }
        }
        try process.run()
        self.process = process
    }

    var lines: [String] { output.lines }
    var errorLines: [String] { errors.lines }
    var isRunning: Bool { process.isRunning }
    var exitCode: Int32 { process.terminationStatus }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends SIGTERM and waits for the process to end.
    func terminate() {
        process.terminate()
        process.waitUntilExit()
    }

    func waitUntilExit() { process.waitUntilExit() }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}

/// Splits bytes arriving in pieces into lines.
final class LineCollector: Sendable {
    private let state = Mutex<(lines: [String], partial: String)>(([], ""))

    func append(_ data: Data) {
        state.withLock { state in
            state.partial += String(decoding: data, as: UTF8.self)
            while let newline = state.partial.firstIndex(of: "\n") {
                state.lines.append(String(state.partial[..<newline]))
                state.partial = String(state.partial[state.partial.index(after: newline)...])
            }
        }
    }

    var lines: [String] { state.withLock { $0.lines } }
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
