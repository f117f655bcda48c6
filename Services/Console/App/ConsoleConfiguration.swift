import ArgumentParser
import Foundation
import Logging
import ServiceSupport
import Tributary
import TributaryKafka

/// Everything the console reads at start-up, typed and validated (errors name the variable).
public struct ConsoleConfiguration: Sendable {
    /// The cluster (`KAFKA_BROKERS` and the `KAFKA_*` passthrough).
    public var kafka: KafkaConfiguration
    /// `TRIBUTARY_TOPIC_PREFIX`, default `tributary`.
    public var topicPrefix: String = "tributary"
    /// `CONSOLE_HOST`, default `0.0.0.0`.
    public var host: String = "0.0.0.0"
    /// `CONSOLE_PORT` (or `--port`), default 8088 (0 picks a free port).
    public var port: Int = 8088
    /// `CONSOLE_PASSWORD`: what logs in (typed on the login page, or the `token` of a login link).
    /// Without it the console starts only on a loopback address, with a password of its own that it
    /// logs as a login link (``generatedPassword`` says so).
    public var password: String
    /// `TRIBUTARY_SECRET_KEY`, optional: with it the Sources page can set a source's secret (sealed
    /// with it, as `tributary sources set-secret` seals it); without it that form is left out.
    public var sealer: SecretSealer?
    /// Whether ``password`` was generated because `CONSOLE_PASSWORD` is not set.
    public var generatedPassword = false
    /// `CONSOLE_DATABASE`, default `console.sqlite`: the SQLite file of the projection. Deleting it
    /// rebuilds it from the topics.
    public var databasePath: String = "console.sqlite"
    /// `CONSOLE_RETENTION`, default 7 days: runs, dead letters and deliveries older than this leave the
    /// database (the topics keep what they keep).
    public var retention: Duration = .seconds(7 * 86_400)
    /// `CONSOLE_SESSION_LIFETIME`, default 12 hours: how long a login lasts.
    public var sessionLifetime: Duration = .seconds(12 * 3600)
    /// `TRIBUTARY_PARTITIONS`, default 12: partitions of `<p>.events`, `<p>.runs` and `<p>.dlq` when
    /// the console is the first to create them.
    public var partitions: Int32 = 12
    /// `LOG_LEVEL` (or `--log-level`), default `info`.
    public var logLevel: Logger.Level = .info

    /// A configuration with defaults for everything but the cluster and the password.
    public init(kafka: KafkaConfiguration, password: String) {
        self.kafka = kafka
        self.password = password
    }

    /// The topics under the prefix.
    public var topics: TributaryTopics { TributaryTopics(prefix: topicPrefix, partitions: partitions) }

    /// The console's flags, for a `@main` to add with `@OptionGroup`. Each wins over the environment
    /// variable in brackets.
    public struct Flags: ParsableArguments, Sendable {
        /// `--brokers`, `--topic-prefix`, `--log-level`.
        @OptionGroup public var service: ServiceOptions
        /// `--host`.
        @Option(help: "Address to listen on [CONSOLE_HOST].") public var host: String?
        /// `--port`.
        @Option(help: "Port to listen on [CONSOLE_PORT].") public var port: Int?
        /// `--database`.
        @Option(help: "The SQLite file of the projection [CONSOLE_DATABASE].") public var database: String?

        /// No flags given (ArgumentParser fills the values when it parses).
        public init() {}
    }

    /// Whether `host` is a loopback address (where the console may run without `CONSOLE_PASSWORD`).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// A random password of 32 hex digits, for a console started without `CONSOLE_PASSWORD`.
    public static func generatePassword() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Command-line values that take precedence over the environment.
    public struct Overrides: Sendable {
        /// `--brokers`, over `KAFKA_BROKERS`.
        public var brokers: String?
        /// `--topic-prefix`, over `TRIBUTARY_TOPIC_PREFIX`.
        public var topicPrefix: String?
        /// `--log-level`, over `LOG_LEVEL`.
        public var logLevel: String?
        /// `--host`, over `CONSOLE_HOST`.
        public var host: String?
        /// `--port`, over `CONSOLE_PORT`.
        public var port: Int?
        /// `--database`, over `CONSOLE_DATABASE`.
        public var database: String?
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
            database = flags.database
        }
    }

    /// Reads the environment, with parsed flags taking precedence.
    public static func fromEnvironment(
        _ environment: ServiceEnvironment = ServiceEnvironment(), flags: Flags
    ) throws -> ConsoleConfiguration {
        try fromEnvironment(environment, overrides: Overrides(flags))
    }

    /// Reads the environment, with `overrides` taking precedence.
    public static func fromEnvironment(
        _ environment: ServiceEnvironment = ServiceEnvironment(), overrides: Overrides = .init()
    ) throws -> ConsoleConfiguration {
        let kafka = try environment.kafka(brokers: overrides.brokers)
        let host = environment.string("CONSOLE_HOST", override: overrides.host) ?? "0.0.0.0"
        var configuration: ConsoleConfiguration
        if let password = environment.string("CONSOLE_PASSWORD") {
            guard password.count >= 8 else {
                throw ConfigurationError("CONSOLE_PASSWORD is shorter than 8 characters", variable: "CONSOLE_PASSWORD")
            }
            configuration = ConsoleConfiguration(kafka: kafka, password: password)
        } else {
            guard isLoopback(host) else {
                throw ConfigurationError(
                    "CONSOLE_PASSWORD is not set: give the console a password, or bind it to loopback (CONSOLE_HOST=127.0.0.1) to get a generated one",
                    variable: "CONSOLE_PASSWORD")
            }
            configuration = ConsoleConfiguration(kafka: kafka, password: generatePassword())
            configuration.generatedPassword = true
        }
        configuration.host = host
        if environment.string("TRIBUTARY_SECRET_KEY") != nil { configuration.sealer = try environment.sealer() }
        configuration.topicPrefix = environment.string("TRIBUTARY_TOPIC_PREFIX", override: overrides.topicPrefix) ?? "tributary"
        configuration.port = try environment.int("CONSOLE_PORT", override: overrides.port, default: 8088, range: 0...65535)
        configuration.databasePath = environment.string("CONSOLE_DATABASE", override: overrides.database) ?? "console.sqlite"
        configuration.retention = try environment.duration("CONSOLE_RETENTION", default: .seconds(7 * 86_400))
        configuration.sessionLifetime = try environment.duration("CONSOLE_SESSION_LIFETIME", default: .seconds(12 * 3600))
        configuration.partitions = Int32(try environment.int("TRIBUTARY_PARTITIONS", default: 12, range: 1...10_000))
        configuration.logLevel = try environment.logLevel(override: overrides.logLevel)
        return configuration
    }
}
