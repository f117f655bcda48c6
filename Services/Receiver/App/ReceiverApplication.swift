import Hummingbird
import Kafka
import Logging
import NIOCore
import ServiceLifecycle
import ServiceSupport
import Tributary

/// Builds the receiver: ensures its topics exist, starts the producer and the live view of
/// `<p>.sources`, and returns the HTTP application (`POST /sources/{sourceKey}`, `/healthz`,
/// `/readyz`, `/metrics`). The `receiver` executable and the tests both call it.
///
/// `sources` are the integrations' external sources, matched by id against each source state.
/// `onServerRunning` gets the bound port (useful with port 0).
public func buildReceiver(
    configuration: ReceiverConfiguration,
    sources: [AnyExternalSource],
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    configuration.kafka.logSkippedVariables(to: logger)
    let topics = configuration.topics
    try await topics.ensure([topics.events, topics.sources], configuration: configuration.kafka, logger: logger)

    var producerSettings = KafkaProducerConfiguration()
    producerSettings.deliveryTimeout = configuration.publishTimeout
    let producer = try KafkaProducer(
        configuration: configuration.kafka, producerConfiguration: producerSettings, logger: logger)
    let directory = try SourceDirectory(
        configuration: configuration.kafka, topic: topics.sources.name, sealer: configuration.sealer,
        sources: sources, logger: logger)
    let metrics = ReceiverMetrics()
    let webhooks = WebhookResponder(
        directory: directory, producer: producer, eventsTopic: topics.events.name,
        bodyLimit: configuration.bodyLimit, metrics: metrics, logger: logger)

    let router = Router()
    AdminRoutes(metrics: metrics.registry) {
        guard directory.view.isCaughtUp else { return false }
        return await producer.isConnected()
    }.add(to: router)
    router.post("/sources/:sourceKey") { request, context in
        // The key is one path segment: a key with `/` (GitHub's `owner/repo`) arrives as `owner%2Frepo`.
        let raw = try context.parameters.require("sourceKey")
        return try await webhooks.respond(to: request, sourceKey: raw.removingPercentEncoding ?? raw)
    }

    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tributary-receiver"),
        services: [ProducerService(producer: producer), TableViewService(view: directory.view)],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}
