import ArgumentParser
import Foundation
import Logging
import TributaryKafka
import ServiceSupport
import Tributary

/// Everything a runner needs to know at start: the cluster, the topics, the group, the limits.
public struct RunnerConfiguration: Sendable {
    /// The Kafka cluster (`KAFKA_BROKERS` and the `KAFKA_*` passthrough properties).
    public var kafka: KafkaConfiguration
    /// The topic prefix `<p>` (`TRIBUTARY_TOPIC_PREFIX`, default `tributary`).
    public var topicPrefix: String
    /// `RUNNER_GROUP`, default `<p>-runners`. Each job is its own subscriber: its consumer group is
    /// `<RUNNER_GROUP>.<job id>`. The group of this name itself is the single group that runners used
    /// before per-job groups: a job that existed then starts its own group from that group's
    /// committed offsets, so an upgrade skips and repeats nothing.
    public var groupID: String
    /// This runner's id in its presence record (default: host, process id and a random suffix).
    public var runnerId: String
    /// How long a finished run keeps a redelivered event from running again (`RUNNER_DEDUP_WINDOW`,
    /// default 7 days). Finished runs older than this are tombstoned on `<p>.runs`.
    public var dedupWindow: Duration
    /// How often the runner writes its presence (`RUNNER_PRESENCE_INTERVAL`, default 5 s); it counts
    /// as live for three intervals after each heartbeat.
    public var presenceInterval: Duration
    /// How far before a newer version appeared an older one hands back its events, for clock skew
    /// between hosts (default 5 s; redelivered events the older version finished are skipped).
    public var handoverMargin: Duration = .seconds(5)
    /// Where a job declared for the first time starts when its ``RunnerJob`` does not say
    /// (`RUNNER_START_POSITION`: `latest`, the default, `earliest` or an RFC 3339 time).
    public var defaultStartPosition: StartPosition
    /// Topics of other systems consumed besides `<p>.events` (`RUNNER_TOPICS`, comma-separated).
    public var extraTopics: [String]
    /// The admin HTTP port for `/healthz`, `/readyz`, `/metrics` (`RUNNER_ADMIN_PORT`, default 9090; 0 picks a free port).
    public var adminPort: Int
    /// The admin HTTP host to bind (`RUNNER_ADMIN_HOST`, default `0.0.0.0`).
    public var adminHost: String
    /// At most this many runs execute at once in this runner (`RUNNER_MAX_CONCURRENT_RUNS`, default 256).
    public var maxConcurrentRuns: Int
    /// How long a shutdown or a revocation waits for in-flight runs before cancelling them (`RUNNER_DRAIN_TIMEOUT`, default 30 s).
    public var drainTimeout: Duration
    /// At most this many received events wait unfinished before the runner stops taking more (memory bound).
    public var maxPendingEvents: Int
    /// The consumer's session timeout: how soon the group notices a dead runner.
    public var sessionTimeout: Duration
    /// Waits at least this long suspend their run (`RUNNER_SUSPEND_AFTER`, default 1 s): it gives up
    /// its lane, permit and partition and resumes from `<p>.runs`; shorter waits sleep in place.
    public var minimumSuspension: Duration = .seconds(1)
    /// Whether run log lines are also printed to standard error.
    public var printRunLogs: Bool
    /// The most bytes of log messages and metadata one run attempt's record keeps on `<p>.runs`
    /// (`RUNNER_LOG_LIMIT`, default 64 KiB); further lines are counted in one last line, not kept.
    public var logLimit: Int = 64 << 10
    /// `LOG_LEVEL` (or `--log-level`), default `info`.
    public var logLevel: Logger.Level = .info
    /// librdkafka properties for the runner's consumer only. The defaults favour latency: a fetch
    /// waits at most 5 ms on a broker that has nothing new (brokers that do not long-poll, such as
    /// the embedded one, otherwise add up to the wait to every event) and a failed fetch is retried
    /// after 10 ms instead of 500 ms.
    public var consumerProperties: [String: String] = RunnerConfiguration.lowLatencyConsumer

    /// The default ``consumerProperties``.
    public static let lowLatencyConsumer = ["fetch.wait.max.ms": "5", "fetch.error.backoff.ms": "10"]

    /// A configuration with the defaults.
    public init(
        kafka: KafkaConfiguration, topicPrefix: String = "tributary", groupID: String? = nil, extraTopics: [String] = [],
        adminPort: Int = 9090, adminHost: String = "0.0.0.0", maxConcurrentRuns: Int = 256,
        drainTimeout: Duration = .seconds(30), maxPendingEvents: Int = 50_000,
        sessionTimeout: Duration = .seconds(10), printRunLogs: Bool = true,
        dedupWindow: Duration = .seconds(7 * 86_400), presenceInterval: Duration = .seconds(5),
        defaultStartPosition: StartPosition = .latest, runnerId: String? = nil
    ) {
        self.kafka = kafka
        self.topicPrefix = topicPrefix
        self.groupID = groupID ?? "\(topicPrefix)-runners"
        self.dedupWindow = dedupWindow
        self.presenceInterval = presenceInterval
        self.defaultStartPosition = defaultStartPosition
        self.runnerId = runnerId ?? Self.newRunnerId()
        self.extraTopics = extraTopics
        self.adminPort = adminPort
        self.adminHost = adminHost
        self.maxConcurrentRuns = maxConcurrentRuns
        self.drainTimeout = drainTimeout
        self.maxPendingEvents = maxPendingEvents
        self.sessionTimeout = sessionTimeout
        self.printRunLogs = printRunLogs
    }

    /// A runner id unique to this process: `<host>-<pid>-<random>`.
    public static func newRunnerId() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "runner"
        return "\(host)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// The consumer group of a job: `<RUNNER_GROUP>.<job id>`.
    public func groupID(job jobId: String) -> String { "\(groupID).\(jobId)" }

    /// How long a presence record counts without another heartbeat.
    public var presenceTimeToLive: Duration { presenceInterval * 3 }

    /// Values given on the command line; each one wins over its environment variable.
    public struct Overrides: Sendable {
        /// `--brokers` for `KAFKA_BROKERS`.
        public var brokers: String?
        /// `--topic-prefix` for `TRIBUTARY_TOPIC_PREFIX`.
        public var topicPrefix: String?
        /// `--log-level` for `LOG_LEVEL`.
        public var logLevel: String?
        /// `--admin-host` for `RUNNER_ADMIN_HOST`.
        public var adminHost: String?
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

        /// The values of parsed flags.
        public init(_ flags: Flags) {
            self.init()
            brokers = flags.service.brokers
            topicPrefix = flags.service.topicPrefix
            logLevel = flags.service.logLevel
            adminHost = flags.admin.adminHost
            adminPort = flags.admin.adminPort
            group = flags.group
            topics = flags.topics
            maxConcurrentRuns = flags.maxConcurrentRuns
            drainTimeout = flags.drainTimeout
        }
    }

    /// A runner's flags, for a `@main` to add with `@OptionGroup` (the `runner` executable's, or a
    /// user's own runner): the shared ``ServiceOptions`` and ``AdminOptions`` and the runner's own.
    /// Each wins over the environment variable in brackets.
    public struct Flags: ParsableArguments, Sendable {
        /// `--brokers`, `--topic-prefix`, `--log-level`.
        @OptionGroup public var service: ServiceOptions
        /// `--group`.
        @Option(help: "Consumer group [RUNNER_GROUP, default <prefix>-runners].") public var group: String?
        /// `--topics`.
        @Option(help: "More event topics, comma-separated [RUNNER_TOPICS].") public var topics: String?
        /// `--admin-host`, `--admin-port`.
        @OptionGroup public var admin: AdminOptions
        /// `--max-concurrent-runs`.
        @Option(help: "Most runs at once [RUNNER_MAX_CONCURRENT_RUNS, default 256].") public var maxConcurrentRuns: Int?
        /// `--drain-timeout`.
        @Option(help: "How long shutdown waits for runs in flight, e.g. 30s [RUNNER_DRAIN_TIMEOUT].") public var drainTimeout: String?

        /// No flags given (ArgumentParser fills the values when it parses).
        public init() {}
    }

    /// Reads and validates the configuration, with parsed flags taking precedence.
    public static func fromEnvironment(_ environment: ServiceEnvironment = ServiceEnvironment(), flags: Flags) throws -> RunnerConfiguration
    {
        try fromEnvironment(environment, overrides: Overrides(flags))
    }

    /// Reads and validates the configuration; every error names the variable (or flag) at fault.
    public static func fromEnvironment(
        _ environment: ServiceEnvironment = ServiceEnvironment(),
        overrides: Overrides = Overrides()
    ) throws -> RunnerConfiguration {
        let kafka = try environment.kafka(brokers: overrides.brokers)
        let prefix = environment.string("TRIBUTARY_TOPIC_PREFIX", override: overrides.topicPrefix) ?? "tributary"
        guard prefix.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
            throw ConfigurationError(
                "TRIBUTARY_TOPIC_PREFIX=\(prefix) may hold only letters, digits, '.', '_' and '-'", variable: "TRIBUTARY_TOPIC_PREFIX")
        }
        let group = environment.string("RUNNER_GROUP", override: overrides.group) ?? "\(prefix)-runners"
        let topics = (environment.string("RUNNER_TOPICS", override: overrides.topics) ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let bad = topics.first(where: { $0.contains(" ") }) {
            throw ConfigurationError("RUNNER_TOPICS holds an invalid topic name '\(bad)'", variable: "RUNNER_TOPICS")
        }
        var start = StartPosition.latest
        if let text = environment.string("RUNNER_START_POSITION") {
            guard let parsed = StartPosition(text) else {
                throw ConfigurationError(
                    "RUNNER_START_POSITION=\(text) is not latest, earliest or an RFC 3339 time", variable: "RUNNER_START_POSITION")
            }
            start = parsed
        }
        var configuration = RunnerConfiguration(
            kafka: kafka, topicPrefix: prefix, groupID: group,
            extraTopics: topics.filter { $0 != TributaryTopics(prefix: prefix).events.name },
            adminPort: try environment.int("RUNNER_ADMIN_PORT", override: overrides.adminPort, default: 9090, range: 0...65535),
            adminHost: environment.string("RUNNER_ADMIN_HOST", override: overrides.adminHost) ?? "0.0.0.0",
            maxConcurrentRuns: try environment.int(
                "RUNNER_MAX_CONCURRENT_RUNS", override: overrides.maxConcurrentRuns,
                default: 256, range: 1...100_000),
            drainTimeout: try environment.duration("RUNNER_DRAIN_TIMEOUT", override: overrides.drainTimeout, default: .seconds(30)),
            dedupWindow: try environment.duration("RUNNER_DEDUP_WINDOW", default: .seconds(7 * 86_400)),
            presenceInterval: try environment.duration("RUNNER_PRESENCE_INTERVAL", default: .seconds(5)),
            defaultStartPosition: start)
        configuration.minimumSuspension = try environment.duration("RUNNER_SUSPEND_AFTER", default: .seconds(1))
        configuration.logLimit = try environment.int("RUNNER_LOG_LIMIT", default: 64 << 10, range: 0...(16 << 20))
        configuration.logLevel = try environment.logLevel(override: overrides.logLevel)
        return configuration
    }

    /// The topics under the prefix (names only: the runner creates none, it checks that `<p>.events`
    /// and `<p>.runs` exist and are co-partitioned).
    public var topics: TributaryTopics { TributaryTopics(prefix: topicPrefix) }
    // The names as `TributaryTopics` makes them (`<p>.<suffix>`), without building each topic's
    // specification: the dispatcher reads some of them for every record.
    /// `<p>.events`.
    public var eventsTopic: String { "\(topicPrefix).events" }
    /// `<p>.runs`.
    public var runsTopic: String { "\(topicPrefix).runs" }
    /// `<p>.triggers`.
    public var triggersTopic: String { "\(topicPrefix).triggers" }
    /// `<p>.dlq`.
    public var deadLetterTopic: String { "\(topicPrefix).dlq" }
    /// `<p>.waits`.
    public var waitsTopic: String { "\(topicPrefix).waits" }
    /// `<p>.flow`.
    public var flowTopic: String { "\(topicPrefix).flow" }
}
