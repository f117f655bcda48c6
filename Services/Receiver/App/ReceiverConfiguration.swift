import Kafka
import ServiceSupport
import Tributary

/// Everything the receiver reads at start-up, typed and validated (errors name the variable).
public struct ReceiverConfiguration: Sendable {
    /// The cluster (`KAFKA_BROKERS` and the `KAFKA_*` passthrough).
    public var kafka: KafkaConfiguration
    /// `TRIBUTARY_TOPIC_PREFIX`, default `tributary`.
    public var topicPrefix: String = "tributary"
    /// `RECEIVER_HOST`, default `0.0.0.0`.
    public var host: String = "0.0.0.0"
    /// `RECEIVER_PORT`, default 8080 (0 picks a free port).
    public var port: Int = 8080
    /// `TRIBUTARY_SECRET_KEY`: unseals the signing secrets on `<p>.sources`.
    public var sealer: SecretSealer
    /// `RECEIVER_BODY_LIMIT`, default 1 MiB: larger bodies get 413.
    public var bodyLimit: Int = 1 << 20
    /// `RECEIVER_PUBLISH_TIMEOUT`, default 10 s: longer without the broker's acknowledgement is a 503.
    public var publishTimeout: Duration = .seconds(10)
    /// `TRIBUTARY_PARTITIONS`, default 12: partitions of `<p>.events` when the receiver creates it.
    public var partitions: Int32 = 12

    public init(kafka: KafkaConfiguration, sealer: SecretSealer) {
        self.kafka = kafka
        self.sealer = sealer
    }

    /// Command-line values that take precedence over the environment.
    public struct Overrides: Sendable {
        public var brokers: String?
        public var topicPrefix: String?
        public var host: String?
        public var port: Int?
        public var bodyLimit: Int?
        public var publishTimeout: String?
        public init() {}
    }

    /// Reads the environment, with flags taking precedence.
    public static func load(_ environment: ServiceEnvironment = ServiceEnvironment(), overrides: Overrides = .init()) throws -> ReceiverConfiguration {
        let kafka = try environment.kafka(brokers: overrides.brokers)
        let sealer = try environment.sealer()
        var configuration = ReceiverConfiguration(kafka: kafka, sealer: sealer)
        configuration.topicPrefix = environment.string("TRIBUTARY_TOPIC_PREFIX", override: overrides.topicPrefix) ?? "tributary"
        configuration.host = environment.string("RECEIVER_HOST", override: overrides.host) ?? "0.0.0.0"
        configuration.port = try environment.int("RECEIVER_PORT", override: overrides.port, default: 8080, range: 0...65535)
        configuration.bodyLimit = try environment.int(
            "RECEIVER_BODY_LIMIT", override: overrides.bodyLimit, default: 1 << 20, range: 1024...(64 << 20))
        configuration.publishTimeout = try environment.duration(
            "RECEIVER_PUBLISH_TIMEOUT", override: overrides.publishTimeout, default: .seconds(10))
        configuration.partitions = Int32(try environment.int("TRIBUTARY_PARTITIONS", default: 12, range: 1...10_000))
        return configuration
    }

    var topics: TributaryTopics { TributaryTopics(prefix: topicPrefix, partitions: partitions) }
}
