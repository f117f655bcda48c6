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
/// server (`POST /sources/{sourceKey}`, and `/healthz`, `/readyz`, `/metrics` on `RECEIVER_PORT`
/// unless `RECEIVER_ADMIN_PORT` gives them an admin server of their own, started before it). The
/// `receiver` executable, `tributary dev` and the tests run them in their own `ServiceGroup`.
///
/// `sources` are the integrations' external sources, matched by id against each source state.
/// `onServerRunning` gets the bound port (useful with port 0), `onAdminRunning` the admin port's.
public func buildReceiver(
    configuration: ReceiverConfiguration,
    sources: [AnyExternalSource],
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
    onAdminRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> BuiltService<ReceiverParts> {
    configuration.kafka.logSkippedVariables(to: logger)
    let topics = configuration.topics
    try await topics.ensure([topics.events, topics.sources, topics.deliveries], configuration: configuration.kafka, logger: logger)

    var producerSettings = KafkaProducerConfiguration()
    producerSettings.deliveryTimeout = configuration.publishTimeout
    producerSettings.linger = configuration.publishLinger
    // One request in flight: a provider's lone delivery is sent at once, and under load the records
    // that came meanwhile go in one batch (Benchmarks/receiver-bench.sh measures both).
    producerSettings.maximumInFlight = 1
    let producer = try KafkaProducer(
        configuration: configuration.kafka, producerConfiguration: producerSettings, logger: logger)
    let directory = try SourceDirectory(
        configuration: configuration.kafka, topic: topics.sources.name, sealer: configuration.sealer,
        sources: sources, logger: logger)
    let metrics = ReceiverMetrics()
    // The deliveries log has a producer of its own, so that it never queues before the events.
    let deliveryProducer = try KafkaProducer(configuration: configuration.kafka, logger: logger)
    let deliveries = DeliveryRecorder(
        producer: deliveryProducer, topic: topics.deliveries.name, bodyLimit: configuration.deliveryBodyLimit, logger: logger)
    let webhooks = WebhookResponder(
        directory: directory, producer: producer, eventsTopic: topics.events.name,
        bodyLimit: configuration.bodyLimit, publicURL: configuration.publicURL, metrics: metrics, logger: logger,
        deliveries: deliveries)

    let router = Router()
    let admin = AdminRoutes(metrics: metrics.registry) {
        guard directory.view.isCaughtUp else { return false }
        return await producer.isConnected()
    }
    var adminServer: (any Service)?
    if let adminPort = configuration.adminPort {
        let adminHost = configuration.adminHost ?? configuration.host
        let adminRouter = Router()
        admin.add(to: adminRouter)
        adminServer = Application(
            router: adminRouter,
            configuration: .init(address: .hostname(adminHost, port: adminPort), serverName: "tributary-receiver-admin"),
            onServerRunning: { channel in await onAdminRunning(channel.localAddress?.port ?? adminPort) },
            logger: logger)
    } else {
        admin.add(to: router)
    }
    // With tracing on, each webhook request is a server span (its parent the request's own
    // `traceparent`, if any); the admin routes get none.
    let webhookRoutes =
        ServiceTracing.isEnabled ? router.group("/sources").add(middleware: RequestSpanMiddleware()) : router.group("/sources")
    webhookRoutes.post("**") { request, context in
        // A key with `/` (GitHub's `owner/repo`) arrives as `owner/repo` or as one segment `owner%2Frepo`.
        guard let key = sourceKey(fromCatchAll: context.parameters.getCatchAll()) else {
            return WebhookResponder.error(.notFound, "no source key in the path: POST /sources/<key>")
        }
        let started = ContinuousClock.now
        let response = try await webhooks.respond(to: request, sourceKey: key)
        metrics.requestDuration(status: response.status.code, ContinuousClock.now - started)
        return response
    }

    let application = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tributary-receiver"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
    // Shut down in reverse order: the server stops taking webhooks, the view stops, the producer flushes.
    return BuiltService(
        name: "receiver", parts: ReceiverParts(application: application),
        services: [
            ProducerService(producer: producer), ProducerService(producer: deliveryProducer), TableViewService(view: directory.view),
        ] + (adminServer.map { [$0] } ?? []) + [application],
        admin: admin, adminHost: configuration.adminHost ?? configuration.host, adminPort: configuration.adminPort ?? configuration.port)
}

/// The source key of `POST /sources/<key>` from the path segments after `/sources/`: each one
/// percent-decoded, joined with `/`, so `acme/website` and `acme%2Fwebsite` are the same key. Nil
/// without a segment.
func sourceKey<Segment: StringProtocol>(fromCatchAll segments: [Segment]) -> String? {
    // Foundation decodes only a segment with an escape in it: for every webhook it was 2% of the
    // receiver's CPU, and source keys are plain (`stripe.webhook`).
    func decoded(_ segment: Segment) -> String {
        let text = String(segment)
        return text.utf8.contains(UInt8(ascii: "%")) ? (text.removingPercentEncoding ?? text) : text
    }
    if segments.count == 1 {
        let only = decoded(segments[0])
        return only.isEmpty ? nil : only
    }
    let parts = segments.map(decoded).filter { !$0.isEmpty }
    return parts.isEmpty ? nil : parts.joined(separator: "/")
}
