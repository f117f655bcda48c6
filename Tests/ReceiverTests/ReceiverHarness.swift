import Foundation
@_exported import TestSupport
import Hummingbird
import HummingbirdTesting
import TributaryKafka
import Logging
import ServiceSupport
import Tributary
import TributaryIntegrations
import TributaryReceiver

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// An embedded cluster with Tributary's topics, a sealer, and helpers to write source states and
/// read back what landed on `<p>.events`.
struct ReceiverHarness: Sendable {
    static let prefix = "rt"
    let cluster: EmbeddedKafkaCluster
    let sealer: SecretSealer
    let topics = TributaryTopics(prefix: prefix, partitions: 4)

    init() throws {
        TestLogging.bootstrap()  // the clients the tests create log quietly
        cluster = try EmbeddedKafkaCluster()
        sealer = try SecretSealer(base64Key: SecretSealer.generateKey())
        for topic in topics.all { try cluster.createTopic(topic) }
    }

    func configuration(
        publishTimeout: Duration = .seconds(10), bodyLimit: Int = 1 << 20, publicURL: String? = nil
    ) -> ReceiverConfiguration {
        var configuration = ReceiverConfiguration(kafka: cluster.configuration, sealer: sealer)
        configuration.topicPrefix = Self.prefix
        configuration.partitions = 4
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.publishTimeout = publishTimeout
        configuration.bodyLimit = bodyLimit
        configuration.publicURL = publicURL
        return configuration
    }

    /// Writes a source state to `<p>.sources`, as the registrar would.
    func writeSource(_ state: SourceState) async throws {
        let producer = try KafkaProducer(configuration: cluster.configuration)
        try await producer.send(KafkaProducerMessage(topic: topics.sources.name, record: try state.record(sealer: sealer)))
        await producer.shutdown()
    }

    /// Every record on `<p>.events` now.
    func publishedEvents() async throws -> [KafkaMessage] {
        let reader = try KafkaTopicReader(configuration: cluster.configuration, topic: topics.events.name)
        var messages: [KafkaMessage] = []
        for await event in reader {
            switch event {
            case .message(let message): messages.append(message)
            case .caughtUp:
                await reader.close()
                return messages
            }
        }
        return messages
    }

    /// Every record on `<p>.deliveries` now, decoded and as text.
    func deliveries() async throws -> [(record: DeliveryRecord, raw: String)] {
        let reader = try KafkaTopicReader(configuration: cluster.configuration, topic: topics.deliveries.name)
        var records: [(record: DeliveryRecord, raw: String)] = []
        for await event in reader {
            switch event {
            case .message(let message):
                records.append((try DeliveryRecord(record: WireRecord(message)), String(decoding: message.value ?? [], as: UTF8.self)))
            case .caughtUp:
                await reader.close()
                return records
            }
        }
        return records
    }

    static let stripeSecret = "whsec_receivertestsecret"

    static let stripeState = SourceState(
        key: "stripe.webhook", sourceId: "stripe.webhook", params: ["connect": false], active: true,
        url: "https://hooks.example.com/sources/stripe.webhook", secret: stripeSecret)

    /// A Stripe `price.created` delivery as Stripe would send it.
    static func stripePriceCreated(
        id: String = "evt_price_1", secret: String = stripeSecret, at time: Date = Date()
    ) -> (body: [UInt8], signature: String) {
        let body = Array(
            """
            {"id":"\(id)","object":"event","api_version":"2024-06-20","created":\(Int(time.timeIntervalSince1970)),"livemode":false,"pending_webhooks":1,"request":{"id":"req_1","idempotency_key":null},"type":"price.created","data":{"object":{"id":"price_1","object":"price","active":true,"currency":"eur","unit_amount":1200,"product":"prod_1","type":"one_time","livemode":false,"created":\(Int(time.timeIntervalSince1970))}}}
            """.utf8)
        let signature = StripeSignature.header(body: body, secrets: [secret], timestamp: Int64(time.timeIntervalSince1970))
        return (body, signature)
    }

    func receiver(
        publishTimeout: Duration = .seconds(10), bodyLimit: Int = 1 << 20, publicURL: String? = nil, logger: Logger? = nil
    ) async throws -> some ApplicationProtocol {
        let logger = logger ?? TestLogging.logger("receiver-test")
        let catalog = try IntegrationCatalog.fromEnvironment([:])
        let receiver = try await buildReceiver(
            configuration: configuration(publishTimeout: publishTimeout, bodyLimit: bodyLimit, publicURL: publicURL),
            sources: catalog.sources, logger: logger)
        // The test framework serves the HTTP application itself (in memory) and runs its services: the
        // receiver's others (producer, view of `<p>.sources`).
        var application = receiver.parts.application
        application.addServices(receiver.services.dropLast())
        return application
    }
}

extension TestClientProtocol {
    /// Polls `/readyz` until the receiver's view caught up and the producer is connected.
    func waitUntilReady() async throws {
        try await eventually("the receiver is ready") {
            try await execute(uri: "/readyz", method: .get) { $0.status == .ok }
        }
    }

    func postWebhook(
        _ key: String, body: [UInt8], headers: HTTPFields
    ) async throws -> TestResponse {
        try await execute(uri: "/sources/\(key)", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { $0 }
    }
}
