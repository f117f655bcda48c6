import ArgumentParser
import Logging
import ServiceSupport
import TributaryIntegrations
import TributaryRegistrar
import UnixSignals

/// `registrar`: keeps the providers' webhook subscriptions in line with the declared triggers.
/// Reads its configuration and runs ``buildRegistrar`` until SIGTERM or SIGINT.
@main
struct RegistrarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registrar",
        abstract: "Register, repair and remove provider webhook subscriptions for the declared triggers.",
        discussion: """
            Flags override the environment variables named in brackets. Also read: KAFKA_* (librdkafka \
            properties), TRIBUTARY_SECRET_KEY, \(Providers.variableNames.joined(separator: ", ")), \
            REGISTRAR_RETRY_BACKOFF, REGISTRAR_ATTEMPTS_PER_RUN, REGISTRAR_SESSION_TIMEOUT, LOG_LEVEL.
            """)

    @Option(help: "Kafka bootstrap servers [KAFKA_BROKERS].") var brokers: String?
    @Option(help: "Topic prefix [TRIBUTARY_TOPIC_PREFIX].") var topicPrefix: String?
    @Option(help: "The receiver's public base URL [PUBLIC_URL].") var publicURL: String?
    @Option(help: "How often active sources are checked at the provider, e.g. 5m [REGISTRAR_RESYNC_INTERVAL].") var resyncInterval: String?
    @Option(help: "Admin address (/healthz, /readyz, /metrics) [REGISTRAR_ADMIN_HOST].") var adminHost: String?
    @Option(help: "Admin port [REGISTRAR_ADMIN_PORT].") var adminPort: Int?

    func run() async throws {
        var overrides = RegistrarConfiguration.Overrides()
        overrides.brokers = brokers
        overrides.topicPrefix = topicPrefix
        overrides.publicURL = publicURL
        overrides.resyncInterval = resyncInterval
        overrides.adminHost = adminHost
        overrides.adminPort = adminPort
        let configuration: RegistrarConfiguration
        do {
            configuration = try RegistrarConfiguration.load(overrides: overrides)
        } catch {
            throw ValidationError("\(error)")
        }
        let logger = {
            var logger = Logger(label: "tributary.registrar")
            logger.logLevel = configuration.logLevel
            return logger
        }()
        let catalog = try IntegrationCatalog.fromEnvironment(logger: logger)
        for (provider, variable) in catalog.missingCredentials.sorted(by: { $0.key < $1.key }) {
            logger.warning("no credentials: \(provider) sources cannot be registered", metadata: ["variable": "\(variable)"])
        }
        let registrar = try await buildRegistrar(
            configuration: configuration, catalog: catalog, logger: logger, gracefulShutdownSignals: [.sigterm, .sigint],
            onAdminRunning: { port in logger.info("admin server listening", metadata: ["port": "\(port)"]) })
        try await registrar.run()
    }
}
