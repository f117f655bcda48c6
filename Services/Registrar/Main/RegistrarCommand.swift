import ArgumentParser
import Logging
import ServiceSupport
import TributaryIntegrations
import TributaryRegistrar
import ServiceLifecycle
import UnixSignals

/// `registrar`: keeps the providers' webhook subscriptions in line with the declared triggers.
/// Reads its configuration, builds the registrar with ``buildRegistrar`` and runs its services in one
/// `ServiceGroup` until SIGTERM or SIGINT.
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

    @OptionGroup var flags: RegistrarConfiguration.Flags

    func run() async throws {
        let (configuration, logger) = try loadServiceConfiguration(label: "tributary.registrar", level: \.logLevel) {
            try RegistrarConfiguration.fromEnvironment(flags: flags)
        }
        // Traces first: the group stops it last, so it exports the spans the others ended.
        let tracing = try bootstrapServiceTracing(service: "registrar", logger: logger)
        let catalog = try IntegrationCatalog.fromEnvironment(logger: logger)
        for (provider, variable) in catalog.missingCredentials.sorted(by: { $0.key < $1.key }) {
            logger.warning("no credentials: \(provider) sources cannot be registered", metadata: ["variable": "\(variable)"])
        }
        let registrar = try await buildRegistrar(
            configuration: configuration, catalog: catalog, logger: logger,
            onAdminRunning: { port in logger.info("admin server listening", metadata: ["port": "\(port)"]) })
        try await ServiceGroup(services: tracing + registrar.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}
