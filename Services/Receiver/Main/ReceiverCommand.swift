import ArgumentParser
import Logging
import ServiceLifecycle
import ServiceSupport
import TributaryIntegrations
import TributaryReceiver

/// `receiver`: verified webhooks into Kafka. Reads its configuration, builds the receiver with
/// ``buildReceiver`` and runs its services in one `ServiceGroup` until SIGTERM or SIGINT.
@main
struct ReceiverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receiver",
        abstract: "Receive provider webhooks, verify them and publish their events to Kafka.",
        discussion: "Flags override the environment variables named in brackets.")

    @OptionGroup var flags: ReceiverConfiguration.Flags

    func run() async throws {
        let (configuration, logger) = try loadServiceConfiguration(label: "tributary.receiver", level: \.logLevel) {
            try ReceiverConfiguration.fromEnvironment(flags: flags)
        }
        // Traces first: the group stops it last, so it exports the spans the others ended.
        let tracing = try bootstrapServiceTracing(service: "receiver", logger: logger)
        let catalog = try IntegrationCatalog.fromEnvironment(logger: logger)
        let receiver = try await buildReceiver(configuration: configuration, sources: catalog.sources, logger: logger)
        try await ServiceGroup(services: tracing + receiver.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}
