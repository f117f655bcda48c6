import ArgumentParser
import Foundation
import TributaryKafka
import Logging
import ServiceSupport
import Tributary

/// Everything the registrar reads at start-up, typed and validated (errors name the variable).
/// Provider credentials are read separately, by `IntegrationCatalog.fromEnvironment`.
public struct RegistrarConfiguration: Sendable {
    /// The cluster (`KAFKA_BROKERS` and the `KAFKA_*` passthrough).
    public var kafka: KafkaConfiguration
    /// `TRIBUTARY_TOPIC_PREFIX`, default `tributary`.
    public var topicPrefix: String = "tributary"
    /// `PUBLIC_URL`: the receiver's public base URL; a source's webhook URL is `$PUBLIC_URL/sources/<key>`.
    public var publicURL: String
    /// `TRIBUTARY_SECRET_KEY`: seals the signing secrets written to `<p>.sources`.
    public var sealer: SecretSealer
    /// `REGISTRAR_RESYNC_INTERVAL`, default 5 min: how often an active source is checked at the provider.
    public var resyncInterval: Duration = .seconds(300)
    /// `REGISTRAR_RETRY_BACKOFF`, default 1 s: the wait after a failed registration; it doubles with
    /// every failure in a row, up to the resync interval.
    public var retryBackoff: Duration = .seconds(1)
    /// `REGISTRAR_ATTEMPTS_PER_RUN`, default 5: attempts of one registration run (same run id, completed
    /// tasks memoized) after transient failures, before the next attempt starts a new run.
    public var attemptsPerRun: Int = 5
    /// `REGISTRAR_SESSION_TIMEOUT`, default 10 s: how long a silent leader keeps leadership.
    public var sessionTimeout: Duration = .seconds(10)
    /// `REGISTRAR_ADMIN_HOST`, default `0.0.0.0`.
    public var adminHost: String = "0.0.0.0"
    /// `REGISTRAR_ADMIN_PORT`, default 9091 (0 picks a free port): `/healthz`, `/readyz`, `/metrics`.
    public var adminPort: Int = 9091
    /// `LOG_LEVEL` (or `--log-level`), default `info`.
    public var logLevel: Logger.Level = .info
    /// Who answers commands (`by` in their results): `registrar@<host name>` by default.
    public var instanceName: String = "registrar@" + ProcessInfo.processInfo.hostName
    /// Test hooks (fault injection); empty in production.
    public var hooks = RegistrarHooks()
    /// The scheduler's clock (the system's; tests inject their own).
    public var scheduleClock: any ScheduleClock = SystemScheduleClock()

    /// A configuration with defaults for everything but the cluster, the public URL and the sealer.
    public init(kafka: KafkaConfiguration, publicURL: String, sealer: SecretSealer) {
        self.kafka = kafka
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
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
        /// `--public-url`, over `PUBLIC_URL`.
        public var publicURL: String?
        /// `--resync-interval` (e.g. `5m`), over `REGISTRAR_RESYNC_INTERVAL`.
        public var resyncInterval: String?
        /// `--admin-host`, over `REGISTRAR_ADMIN_HOST`.
        public var adminHost: String?
        /// `--admin-port`, over `REGISTRAR_ADMIN_PORT`.
        public var adminPort: Int?
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
            publicURL = flags.publicURL
            resyncInterval = flags.resyncInterval
        }
    }

    /// The registrar's flags, for a `@main` to add with `@OptionGroup`: the shared ``ServiceOptions``
    /// and ``AdminOptions`` and the registrar's own. Each wins over the environment variable in brackets.
    public struct Flags: ParsableArguments, Sendable {
        /// `--brokers`, `--topic-prefix`, `--log-level`.
        @OptionGroup public var service: ServiceOptions
        /// `--public-url`.
        @Option(help: "The receiver's public base URL [PUBLIC_URL].") public var publicURL: String?
        /// `--resync-interval`.
        @Option(help: "How often active sources are checked at the provider, e.g. 5m [REGISTRAR_RESYNC_INTERVAL].") public
            var resyncInterval: String?
        /// `--admin-host`, `--admin-port`.
        @OptionGroup public var admin: AdminOptions

        /// No flags given (ArgumentParser fills the values when it parses).
        public init() {}
    }

    /// Reads the environment, with parsed flags taking precedence.
    public static func fromEnvironment(
        _ environment: ServiceEnvironment = ServiceEnvironment(), flags: Flags
    ) throws -> RegistrarConfiguration {
        try fromEnvironment(environment, overrides: Overrides(flags))
    }

    /// Reads the environment, with flags taking precedence.
    public static func fromEnvironment(
        _ environment: ServiceEnvironment = ServiceEnvironment(), overrides: Overrides = .init()
    ) throws -> RegistrarConfiguration {
        let kafka = try environment.kafka(brokers: overrides.brokers)
        let sealer = try environment.sealer()
        let publicURL = try environment.required(
            "PUBLIC_URL", override: overrides.publicURL,
            hint: "give the receiver's public base URL, e.g. https://hooks.example.com (providers post to $PUBLIC_URL/sources/<key>)")
        guard let parsed = URL(string: publicURL), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
            throw ConfigurationError("PUBLIC_URL=\(publicURL) is not an http(s) URL", variable: "PUBLIC_URL")
        }
        var configuration = RegistrarConfiguration(kafka: kafka, publicURL: publicURL, sealer: sealer)
        configuration.topicPrefix = environment.string("TRIBUTARY_TOPIC_PREFIX", override: overrides.topicPrefix) ?? "tributary"
        configuration.resyncInterval = try environment.duration(
            "REGISTRAR_RESYNC_INTERVAL", override: overrides.resyncInterval, default: .seconds(300))
        configuration.retryBackoff = try environment.duration("REGISTRAR_RETRY_BACKOFF", default: .seconds(1))
        configuration.attemptsPerRun = try environment.int("REGISTRAR_ATTEMPTS_PER_RUN", default: 5, range: 1...100)
        configuration.sessionTimeout = try environment.duration("REGISTRAR_SESSION_TIMEOUT", default: .seconds(10))
        configuration.adminHost = environment.string("REGISTRAR_ADMIN_HOST", override: overrides.adminHost) ?? "0.0.0.0"
        configuration.adminPort = try environment.int(
            "REGISTRAR_ADMIN_PORT", override: overrides.adminPort, default: 9091, range: 0...65535)
        configuration.logLevel = try environment.logLevel(override: overrides.logLevel)
        return configuration
    }

    /// The topics under the prefix.
    public var topics: TributaryTopics { TributaryTopics(prefix: topicPrefix) }

    /// The webhook URL of a source key: `$PUBLIC_URL/sources/<key>`, the key escaped as one path segment.
    public func webhookURL(sourceKey: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        return publicURL + "/sources/" + (sourceKey.addingPercentEncoding(withAllowedCharacters: allowed) ?? sourceKey)
    }
}

/// Fault-injection points for tests.
public struct RegistrarHooks: Sendable {
    /// Runs after a provider registration returned and before its result is written to `<p>.sources`
    /// (source key, result). Throwing or suspending here simulates a crash at that point.
    public var afterRegister: @Sendable (String, RegisterResult) async throws -> Void

    /// No hooks.
    public init(afterRegister: @escaping @Sendable (String, RegisterResult) async throws -> Void = { _, _ in }) {
        self.afterRegister = afterRegister
    }
}
