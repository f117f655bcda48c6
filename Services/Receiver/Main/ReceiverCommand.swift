import ArgumentParser
import Logging
import ServiceSupport
import TributaryIntegrations
import TributaryReceiver

/// `receiver`: verified webhooks into Kafka. Reads its configuration and runs ``buildReceiver``.
@main
struct ReceiverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receiver",
        abstract: "Receive provider webhooks, verify them and publish their events to Kafka.",
        discussion: "Flags override the environment variables named in brackets.")

    @Option(help: "Kafka bootstrap servers [KAFKA_BROKERS].") var brokers: String?
    @Option(help: "Topic prefix [TRIBUTARY_TOPIC_PREFIX].") var topicPrefix: String?
    @Option(help: "Address to listen on [RECEIVER_HOST].") var host: String?
    @Option(help: "Port to listen on [RECEIVER_PORT].") var port: Int?
    @Option(help: "Largest body accepted, in bytes [RECEIVER_BODY_LIMIT].") var bodyLimit: Int?
    @Option(help: "Longest wait for the broker's acknowledgement, e.g. 10s [RECEIVER_PUBLISH_TIMEOUT].") var publishTimeout: String?

    func run() async throws {
        var overrides = ReceiverConfiguration.Overrides()
        overrides.brokers = brokers
        overrides.topicPrefix = topicPrefix
        overrides.host = host
        overrides.port = port
        overrides.bodyLimit = bodyLimit
        overrides.publishTimeout = publishTimeout
        let configuration: ReceiverConfiguration
        var logger = Logger(label: "tributary.receiver")
        do {
            configuration = try ReceiverConfiguration.load(overrides: overrides)
            logger.logLevel = try ServiceEnvironment().logLevel()
        } catch {
            throw ValidationError("\(error)")
        }
        let catalog = try IntegrationCatalog.fromEnvironment(logger: logger)
        let app = try await buildReceiver(configuration: configuration, sources: catalog.sources, logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
