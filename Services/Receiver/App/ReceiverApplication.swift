import Hummingbird
import TributaryKafka
import Logging
import NIOCore
import ServiceLifecycle
import ServiceSupport
import Tributary

/// What the receiver exposes besides running: its HTTP application.
public struct ReceiverParts: Sendable {
    /// The HTTP server (`POST /sources/{sourceKey}` and the admin routes): the last of the built
    /// service's `services`. Tests that drive it in memory (HummingbirdTesting's `.router`) attach the
    /// other services to a copy with `addServices` and run that instead.
    public var application: Application<RouterResponder<BasicRequestContext>>
}

/// Builds the receiver: ensures its topics exist, creates the producer and the live view of
/// `<p>.sources`, and returns its services in start order: the producer, the view, then the HTTP
/// server (`POST /sources/{sourceKey}`, `/healthz`, `/readyz`, `/metrics` on `RECEIVER_PORT`). The
/// `receiver` executable, `tributary dev` and the tests run them in their own `ServiceGroup`.
///
/// `sources` are the integrations' external sources, matched by id against each source state.
/// `onServerRunning` gets the bound port (useful with port 0).
public func buildReceiver(
    configuration: ReceiverConfiguration,
    sources: [AnyExternalSource],
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> BuiltService<ReceiverParts> {
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
        bodyLimit: configuration.bodyLimit, publicURL: configuration.publicURL, metrics: metrics, logger: logger)

    let router = Router()
    let admin = AdminRoutes(metrics: metrics.registry) {
        guard directory.view.isCaughtUp else { return false }
        return await producer.isConnected()
    }
    admin.add(to: router)
    router.post("/sources/:sourceKey") { request, context in
        // The key is one path segment: a key with `/` (GitHub's `owner/repo`) arrives as `owner%2Frepo`.
        let raw = try context.parameters.require("sourceKey")
        return try await webhooks.respond(to: request, sourceKey: raw.removingPercentEncoding ?? raw)
    }

    let application = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tributary-receiver"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
    // Shut down in reverse order: the server stops taking webhooks, the view stops, the producer flushes.
    return BuiltService(
        name: "receiver", parts: ReceiverParts(application: application),
        services: [ProducerService(producer: producer), TableViewService(view: directory.view), application],
        admin: admin, adminHost: configuration.host, adminPort: configuration.port)
}
