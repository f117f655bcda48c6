import Foundation
import Tributary

/// Shopify webhooks (verification; subscriptions are made in the app's settings or by the operator for
/// now): `$PUBLIC_URL/sources/shopify.<shop>`, the app's client secret set with
/// `tributary sources set-secret shopify.<shop> <app secret>`. Each delivery becomes one event named by
/// its `X-Shopify-Topic` (`orders/create`…) with id `X-Shopify-Webhook-Id`; the payload is the body.
public struct ShopifyIntegration: Sendable {
    /// The CloudEvents source of Shopify events.
    public static let eventSource = "shopify.com"
    /// The header naming the topic.
    public static let topicHeader = "X-Shopify-Topic"
    /// The header carrying the delivery's id (the same on Shopify's retries).
    public static let webhookIdHeader = "X-Shopify-Webhook-Id"

    /// How the handler checks signatures.
    public let signature: ShopifySignature

    /// The integration.
    public init(signature: ShopifySignature = ShopifySignature()) {
        self.signature = signature
    }

    /// The `shopify` external source, keys `shopify.<shop>`.
    public var source: ExternalSource<NamedSourceParams> {
        .named(id: "shopify", prefix: "shopify", secretName: "app secret", scheme: signature) { delivery, _ in try Self.parse(delivery) }
    }

    /// A trigger on `event` from `shop` (the source `shopify.<shop>`).
    public func trigger(_ event: EventSpecification<JSON>, shop: String, filter: EventFilter = .all) -> Trigger<JSON> {
        Trigger(event: event, source: source, params: NamedSourceParams(name: shop), filter: filter)
    }

    /// Parses one verified delivery.
    static func parse(_ delivery: WebhookDelivery) throws -> HandlerResult {
        let topic = try delivery.requiredHeader(topicHeader)
        let id = try delivery.requiredHeader(webhookIdHeader)
        let payload = try delivery.jsonObject()
        let triggeredAt = delivery.header("X-Shopify-Triggered-At").flatMap { RFC3339.date(from: $0) } ?? delivery.now
        let context: JSON = [
            "shopDomain": delivery.header("X-Shopify-Shop-Domain").map(JSON.string) ?? .null,
            "apiVersion": delivery.header("X-Shopify-API-Version").map(JSON.string) ?? .null,
            "eventId": delivery.header("X-Shopify-Event-Id").map(JSON.string) ?? .null, "webhookId": .string(id),
        ]
        return HandlerResult(events: [
            EventRecord(
                id: id, name: topic, source: eventSource, timestamp: triggeredAt, payload: payload, context: context,
                payloadBytes: delivery.body)
        ])
    }
}

extension ShopifyIntegration: ProviderIntegration {
    /// Shopify: no variables in this version (the operator sets each shop's app secret); keys `shopify.<shop>`.
    public static let provider = Provider(
        id: "shopify", name: "Shopify", summary: "Shopify webhooks",
        sourceKeys: [.named(prefix: "shopify", sourceId: "shopify", form: "shop")],
        events: ShopifyEvents.all.map(ProviderEvent.init))

    /// Reads nothing.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> ShopifyIntegration {
        ShopifyIntegration()
    }

    /// The `shopify` source.
    public var externalSources: [AnyExternalSource] { [source.erased] }
}
