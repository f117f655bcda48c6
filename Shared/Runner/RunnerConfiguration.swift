import Foundation
import Kafka
import ServiceSupport

/// Everything a runner needs to know at start: the cluster, the topics, the group, the limits.
public struct RunnerConfiguration: Sendable {
    /// The Kafka cluster (`KAFKA_BROKERS` and the `KAFKA_*` passthrough properties).
    public var kafka: KafkaConfiguration
    /// The topic prefix `<p>` (`TRIBUTARY_TOPIC_PREFIX`, default `tributary`).
    public var topicPrefix: String
    /// The consumer group (`RUNNER_GROUP`, default `<p>-runners`).
    public var groupID: String
    /// Topics of other systems consumed besides `<p>.events` (`RUNNER_TOPICS`, comma-separated).
    public var extraTopics: [String]
    /// The admin HTTP port for `/healthz`, `/readyz`, `/metrics` (`RUNNER_ADMIN_PORT`, default 9090; 0 picks a free port).
    public var adminPort: Int
    /// The admin HTTP host to bind.
    public var adminHost: String
    /// At most this many runs execute at once in this runner (`RUNNER_MAX_CONCURRENT_RUNS`, default 256).
    public var maxConcurrentRuns: Int
    /// How long a shutdown or a revocation waits for in-flight runs before cancelling them (`RUNNER_DRAIN_TIMEOUT`, default 30 s).
    public var drainTimeout: Duration
    /// At most this many received events wait unfinished before the runner stops taking more (memory bound).
    public var maxPendingEvents: Int
    /// The consumer's session timeout: how soon the group notices a dead runner.
    public var sessionTimeout: Duration
    /// Whether run log lines are also printed to standard error.
    public var printRunLogs: Bool
    /// librdkafka properties for the runner's consumer only. The defaults favour latency: a fetch
    /// waits at most 5 ms on a broker that has nothing new (brokers that do not long-poll, such as
    /// the embedded one, otherwise add up to the wait to every event) and a failed fetch is retried
    /// after 10 ms instead of 500 ms.
    public var consumerProperties: [String: String] = RunnerConfiguration.lowLatencyConsumer

    /// The default ``consumerProperties``.
    public static let lowLatencyConsumer = ["fetch.wait.max.ms": "5", "fetch.error.backoff.ms": "10"]

    /// A configuration with the defaults.
    public init(kafka: KafkaConfiguration, topicPrefix: String = "tributary", groupID: String? = nil, extraTopics: [String] = [],
                adminPort: Int = 9090, adminHost: String = "0.0.0.0", maxConcurrentRuns: Int = 256,
                drainTimeout: Duration = .seconds(30), maxPendingEvents: Int = 50_000,
                sessionTimeout: Duration = .seconds(10), printRunLogs: Bool = true) {
        self.kafka = kafka
        self.topicPrefix = topicPrefix
        self.groupID = groupID ?? "\(topicPrefix)-runners"
        self.extraTopics = extraTopics
        self.adminPort = adminPort
        self.adminHost = adminHost
        self.maxConcurrentRuns = maxConcurrentRuns
        self.drainTimeout = drainTimeout
        self.maxPendingEvents = maxPendingEvents
        self.sessionTimeout = sessionTimeout
        self.printRunLogs = printRunLogs
    }

    /// Values given on the command line; each one wins over its environment variable.
    public struct Overrides: Sendable {
        /// `--brokers` for `KAFKA_BROKERS`.
        public var brokers: String?
        /// `--topic-prefix` for `TRIBUTARY_TOPIC_PREFIX`.
        public var topicPrefix: String?
        /// `--group` for `RUNNER_GROUP`.
        public var group: String?
        /// `--topics` for `RUNNER_TOPICS`.
        public var topics: String?
        /// `--admin-port` for `RUNNER_ADMIN_PORT`.
        public var adminPort: Int?
        /// `--max-concurrent-runs` for `RUNNER_MAX_CONCURRENT_RUNS`.
        public var maxConcurrentRuns: Int?
        /// `--drain-timeout` for `RUNNER_DRAIN_TIMEOUT`.
        public var drainTimeout: String?
        /// No overrides.
        public init() {}
    }

    /// Reads and validates the configuration; every error names the variable (or flag) at fault.
    public static func fromEnvironment(_ environment: ServiceEnvironment = ServiceEnvironment(),
                                       overrides: Overrides = Overrides()) throws -> RunnerConfiguration {
        var values = environment.values
        if let brokers = overrides.brokers { values["KAFKA_BROKERS"] = brokers }
        let kafka = try KafkaConfiguration.fromEnvironment(values)
        let prefix = environment.string("TRIBUTARY_TOPIC_PREFIX", override: overrides.topicPrefix) ?? "tributary"
        guard prefix.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
            throw ConfigurationError("TRIBUTARY_TOPIC_PREFIX=\(prefix) may hold only letters, digits, '.', '_' and '-'")
        }
        let group = environment.string("RUNNER_GROUP", override: overrides.group) ?? "\(prefix)-runners"
        let topics = (environment.string("RUNNER_TOPICS", override: overrides.topics) ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let bad = topics.first(where: { $0.contains(" ") }) {
            throw ConfigurationError("RUNNER_TOPICS holds an invalid topic name '\(bad)'")
        }
        return RunnerConfiguration(
            kafka: kafka, topicPrefix: prefix, groupID: group,
            extraTopics: topics.filter { $0 != "\(prefix).events" },
            adminPort: try environment.int("RUNNER_ADMIN_PORT", override: overrides.adminPort, default: 9090, range: 0...65535),
            maxConcurrentRuns: try environment.int("RUNNER_MAX_CONCURRENT_RUNS", override: overrides.maxConcurrentRuns,
                                                   default: 256, range: 1...100_000),
            drainTimeout: try environment.duration("RUNNER_DRAIN_TIMEOUT", override: overrides.drainTimeout, default: .seconds(30)))
    }

    /// `<p>.events`.
    public var eventsTopic: String { "\(topicPrefix).events" }
    /// `<p>.runs`.
    public var runsTopic: String { "\(topicPrefix).runs" }
    /// `<p>.triggers`.
    public var triggersTopic: String { "\(topicPrefix).triggers" }
    /// `<p>.dlq`.
    public var deadLetterTopic: String { "\(topicPrefix).dlq" }
}
