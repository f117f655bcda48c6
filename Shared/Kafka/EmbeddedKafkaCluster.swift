import Logging
import Synchronization

/// A Kafka cluster in this process: librdkafka's mock cluster, speaking the real protocol on loopback.
///
/// For `tributary dev`, `tributary broker` and tests. It keeps everything in memory (about the newest
/// 5 MB of each partition), does not compact, and answers neither CreateTopics nor DescribeConfigs:
/// create topics with ``createTopic(_:)`` instead. Brokers are numbered 1...N and can be taken down,
/// brought back, slowed, or made to fail requests, for fault injection.
public final class EmbeddedKafkaCluster: Sendable {
    private let cluster: RdKafkaMockCluster
    private let stopped = Atomic<Bool>(false)
    /// The number of brokers.
    public let brokerCount: Int
    /// Comma-separated `host:port` list to give clients as `KAFKA_BROKERS`.
    public var bootstrapServers: String { cluster.bootstrapServers }

    /// Starts a cluster of `brokers` brokers on ephemeral loopback ports.
    public init(brokers: Int = 1, logger: Logger = Logger(label: "tributary.kafka.embedded")) throws(KafkaError) {
        precondition(brokers >= 1, "a cluster needs at least one broker")
        var quiet = logger
        quiet.logLevel = .error  // the cluster's owner instance warns that it has no bootstrap servers: by design
        cluster = try RdKafkaMockCluster(brokers: brokers, context: RdKafkaContext(logger: quiet))
        brokerCount = brokers
    }

    /// Client configuration pointing at this cluster.
    public var configuration: KafkaConfiguration { KafkaConfiguration(bootstrapServers: bootstrapServers) }

    /// Creates a topic with its partition count (configs such as compaction are not honoured by the mock).
    public func createTopic(_ specification: KafkaTopicSpecification) throws(KafkaError) {
        try cluster.createTopic(
            specification.name, partitions: specification.partitions,
            replicationFactor: min(specification.replicationFactor, Int32(brokerCount)))
    }

    /// Takes a broker down: its connections close and it refuses new ones. librdkafka re-binds the
    /// broker's port meanwhile and aborts the process if that fails (seen once under a busy test run):
    /// tests hold responses instead (``holdAllResponses(for:)``).
    public func setBrokerDown(_ id: Int32) { cluster.setBroker(id, up: false) }
    /// Brings a broker back.
    public func setBrokerUp(_ id: Int32) { cluster.setBroker(id, up: true) }
    /// Takes every broker down.
    public func setAllBrokersDown() { for id in 1...Int32(brokerCount) { setBrokerDown(id) } }
    /// Brings every broker back.
    public func setAllBrokersUp() { for id in 1...Int32(brokerCount) { setBrokerUp(id) } }
    /// An outage that keeps the brokers' listeners: every broker holds each response for `delay` (a
    /// producer's sends time out, a readiness check fails), or, with nil, answers at once again (the
    /// held responses follow within `delay`). Tests use it instead of ``setAllBrokersDown()``: taking a
    /// mock broker down re-binds its port, which now and then fails on a busy machine, and librdkafka
    /// then aborts the whole process.
    public func holdAllResponses(for delay: Duration?) {
        let milliseconds = Int32(clamping: delay?.wholeMilliseconds ?? 0)
        for id in 1...Int32(brokerCount) { setRoundTripTime(broker: id, milliseconds: milliseconds) }
    }

    /// Adds a round-trip delay to every request a broker answers.
    public func setRoundTripTime(broker id: Int32, milliseconds: Int32) {
        cluster.setRoundTripTime(broker: id, milliseconds: milliseconds)
    }
    /// Makes the next requests with this Kafka API key (0 Produce, 1 Fetch, 8 OffsetCommit, ...) fail
    /// with these Kafka error codes, one per request, in order.
    public func failNextRequests(apiKey: Int16, withErrorCodes codes: [Int32]) {
        cluster.pushRequestErrors(apiKey: apiKey, codes: codes)
    }

    /// Stops the cluster. Its clients see every broker go away.
    public func shutdown() {
        if !stopped.exchange(true, ordering: .acquiringAndReleasing) { cluster.destroy() }
    }
}
