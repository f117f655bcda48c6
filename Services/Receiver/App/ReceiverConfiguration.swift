import ArgumentParser
import TributaryKafka
import Logging
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
    /// `RECEIVER_ADMIN_PORT`: when set, `/healthz`, `/readyz` and `/metrics` are served on this port
    /// (0 picks a free one) and no longer on the public ``port``; nil (the default): on the public port.
    public var adminPort: Int?
    /// `RECEIVER_ADMIN_HOST`, default ``host``: the address of the admin port.
    public var adminHost: String?
    /// `TRIBUTARY_SECRET_KEY`: unseals the signing secrets on `<p>.sources`.
    public var sealer: SecretSealer
    /// `RECEIVER_BODY_LIMIT`, default 1 MiB: larger bodies get 413.
    public var bodyLimit: Int = 1 << 20
    /// The most of an accepted body recorded on `<p>.deliveries` (64 KiB; larger ones are cut and say so).
    public var deliveryBodyLimit: Int = 64 << 10
    /// `RECEIVER_PUBLISH_TIMEOUT`, default 10 s: longer without the broker's acknowledgement is a 503.
    public var publishTimeout: Duration = .seconds(10)
    /// `RECEIVER_PUBLISH_LINGER`, default 0: how long the events' producer waits to batch records
    /// (`linger.ms`). At 0, with one produce request in flight, a provider's serial deliveries are
    /// sent at once (one connection: about 2,400/s; 380/s at 2 ms) and records batch by load.
    /// `COMPARE_LINGER=2ms Benchmarks/receiver-bench.sh` measures both in one run.
    public var publishLinger: Duration = .zero
    /// `TRIBUTARY_PARTITIONS`, default 12: partitions of `<p>.events` when the receiver creates it.
    public var partitions: Int32 = 12
    /// `LOG_LEVEL` (or `--log-level`), default `info`.
    public var logLevel: Logger.Level = .info
    /// `RECEIVER_PUBLIC_URL`: the base URL providers post to (as the registrar's `PUBLIC_URL`), without
    /// a trailing `/`; handlers of schemes that sign the URL (Twilio) get `<it><path>?<query>` as the
    /// request's `url`. Nil: such sources answer 503 naming the variable.
    public var publicURL: String?

    /// A configuration with defaults for everything but the cluster and the sealer.
    public init(kafka: KafkaConfiguration, sealer: SecretSealer) {
        self.kafka = kafka
        self.sealer = sealer
    }

    /// Command-line values that take precedence over the environment.
    public struct Overrides: Sendable {
        /// `--brokers`, over `KAFKA_BROKERS`.
        public var brokers: String?
        /// `--topic-prefix`, over `TRIBUTARY_TOPIC_PREFIX`.
        public var topicPrefix: String?
        /// `--log-level`, over `LOG_LEVEL`.
        public var logLevel: String?
        /// `--host`, over `RECEIVER_HOST`.
        public var host: String?
        /// `--port`, over `RECEIVER_PORT`.
        public var port: Int?
        /// `--body-limit`, over `RECEIVER_BODY_LIMIT`.
        public var bodyLimit: Int?
        /// `--publish-timeout` (e.g. `10s`), over `RECEIVER_PUBLISH_TIMEOUT`.
        public var publishTimeout: String?
        /// No overrides.
        public init() {}

        /// The values of parsed flags.
        public init(_ flags: Flags) {
            self.init()
            brokers = flags.service.brokers
            topicPrefix = flags.service.topicPrefix
            logLevel = flags.service.logLevel
            host = flags.host
            port = flags.port
            bodyLimit = flags.bodyLimit
            publishTimeout = flags.publishTimeout
        }
    }

    /// The receiver's flags, for a `@main` to add with `@OptionGroup`: the shared ``ServiceOptions``
    /// and the receiver's own. Each wins over the environment variable in brackets.
    public struct Flags: ParsableArguments, Sendable {
        /// `--brokers`, `--topic-prefix`, `--log-level`.
        @OptionGroup public var service: ServiceOptions
        /// `--host`.
        @Option(help: "Address to listen on [RECEIVER_HOST].") public var host: String?
        /// `--port`.
        @Option(help: "Port to listen on [RECEIVER_PORT].") public var port: Int?
        /// `--body-limit`.
        @Option(help: "Largest body accepted, in bytes [RECEIVER_BODY_LIMIT].") public var bodyLimit: Int?
        /// `--publish-timeout`.
        @Option(help: "Longest wait for the broker's acknowledgement, e.g. 10s [RECEIVER_PUBLISH_TIMEOUT].") public var publishTimeout:
            String?

        /// No flags given (ArgumentParser fills the values when it parses).
        public init() {}
    }

    /// Reads the environment, with flags taking precedence.
    public static func fromEnvironment(
        _ environment: ServiceEnvironment = ServiceEnvironment(), overrides: Overrides = .init()
    ) throws -> ReceiverConfiguration {
        let kafka = try environment.kafka(brokers: overrides.brokers)
        let sealer = try environment.sealer()
        var configuration = ReceiverConfiguration(kafka: kafka, sealer: sealer)
        configuration.topicPrefix = environment.string("TRIBUTARY_TOPIC_PREFIX", override: overrides.topicPrefix) ?? "tributary"
        configuration.host = environment.string("RECEIVER_HOST", override: overrides.host) ?? "0.0.0.0"
        configuration.port = try environment.int("RECEIVER_PORT", override: overrides.port, default: 8080, range: 0...65535)
        if environment.string("RECEIVER_ADMIN_PORT") != nil {
            let adminPort = try environment.int("RECEIVER_ADMIN_PORT", default: 0, range: 0...65535)
            guard adminPort == 0 || adminPort != configuration.port else {
                throw ConfigurationError(
                    "RECEIVER_ADMIN_PORT=\(adminPort) is the public RECEIVER_PORT: give the admin routes a port of their own, or unset it",
                    variable: "RECEIVER_ADMIN_PORT")
            }
            configuration.adminPort = adminPort
        }
        configuration.adminHost = environment.string("RECEIVER_ADMIN_HOST")
        configuration.bodyLimit = try environment.int(
            "RECEIVER_BODY_LIMIT", override: overrides.bodyLimit, default: 1 << 20, range: 1024...(64 << 20))
        configuration.publishTimeout = try environment.duration(
            "RECEIVER_PUBLISH_TIMEOUT", override: overrides.publishTimeout, default: .seconds(10))
        configuration.publishLinger = try environment.duration(
            "RECEIVER_PUBLISH_LINGER", default: .zero, allowZero: true)
        configuration.partitions = Int32(try environment.int("TRIBUTARY_PARTITIONS", default: 12, range: 1...10_000))
        configuration.logLevel = try environment.logLevel(override: overrides.logLevel)
        if let publicURL = environment.string("RECEIVER_PUBLIC_URL") {
            guard publicURL.hasPrefix("https://") || publicURL.hasPrefix("http://") else {
                throw ConfigurationError("RECEIVER_PUBLIC_URL=\(publicURL) is not an http(s) URL", variable: "RECEIVER_PUBLIC_URL")
            }
            configuration.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        }
        return configuration
    }

    /// Reads the environment, with parsed flags taking precedence.
    public static func fromEnvironment(
        _ environment: ServiceEnvironment = ServiceEnvironment(), flags: Flags
    ) throws -> ReceiverConfiguration {
        try fromEnvironment(environment, overrides: Overrides(flags))
    }

    /// The topics under the prefix (`<p>.events` with ``partitions``).
    public var topics: TributaryTopics { TributaryTopics(prefix: topicPrefix, partitions: partitions) }
}
