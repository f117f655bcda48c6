import Logging

/// Topic administration: list and describe topics, create them idempotently.
public final class KafkaAdmin: Sendable {
    private let client: RdKafkaClient
    private let blocking = BlockingThread(label: "tributary.kafka.admin")
    private let logger: Logger

    public init(configuration: KafkaConfiguration, logger: Logger = Logger(label: "tributary.kafka.admin")) throws(KafkaError) {
        client = try RdKafkaClient(
            kind: .producer, settings: configuration.librdkafkaSettings(extra: [:]),
            context: RdKafkaContext(logger: logger))
        self.logger = logger
    }

    deinit { client.destroy() }

    /// Every topic of the cluster, by name.
    public func listTopics(timeout: Duration = .seconds(10)) async throws(KafkaError) -> [KafkaTopicDescription] {
        let client = client
        return try await blocking.run { () throws(KafkaError) in try client.topics(timeoutMs: Int32(timeout.wholeMilliseconds)) }
    }

    /// One topic, or nil if the cluster does not have it (asking never creates it).
    public func describeTopic(_ name: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> KafkaTopicDescription? {
        try await listTopics(timeout: timeout).first { $0.name == name }
    }

    /// Creates the topics that do not exist yet; an existing topic counts as success (its partition
    /// count is not changed). A cluster that leaves CreateTopics unanswered (librdkafka's mock cluster)
    /// is judged by its metadata instead: the call succeeds if the topics are there.
    public func createTopics(_ specifications: [KafkaTopicSpecification], timeout: Duration = .seconds(10)) async throws(KafkaError) {
        let existing = Set(try await listTopics(timeout: timeout).map(\.name))
        let missing = specifications.filter { !existing.contains($0.name) }
        guard !missing.isEmpty else { return }
        let client = client
        let milliseconds = Int32(timeout.wholeMilliseconds)
        do throws(KafkaError) {
            let results = try await blocking.run { () throws(KafkaError) in try client.createTopics(missing, timeoutMs: milliseconds) }
            for (name, error) in results.sorted(by: { $0.key < $1.key }) {
                if let error, error.code != .topicAlreadyExists { throw error }
                logger.info("topic ready", metadata: ["topic": "\(name)"])
            }
        } catch {
            guard error.code == .timedOut else { throw error }
            let now = Set(try await listTopics(timeout: timeout).map(\.name))
            let absent = missing.map(\.name).filter { !now.contains($0) }
            guard absent.isEmpty else {
                throw KafkaError(
                    code: .timedOut,
                    message: "CreateTopics was not answered and these topics do not exist: \(absent.joined(separator: ", "))",
                    isRetriable: true)
            }
        }
    }
}
