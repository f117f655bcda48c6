import AsyncHTTPClient
import Foundation
import Logging
import Tributary

/// Shopify webhooks: `$PUBLIC_URL/sources/shopify.<shop>`, the app's client secret set with
/// `tributary sources set-secret shopify.<shop> <app secret>`. With `SHOPIFY_ACCESS_TOKEN` the registrar
/// subscribes that address to each topic a trigger wants (see ``ShopifyRegistration``); without it the
/// subscriptions are made by hand. Each delivery becomes one event named by its `X-Shopify-Topic`
/// (`orders/create`…) with id `X-Shopify-Webhook-Id`; the payload is the body.
public struct ShopifyIntegration: Integration {
    /// The CloudEvents source of Shopify events.
    public static let eventSource = "shopify.com"
    /// The header naming the topic.
    public static let topicHeader = "X-Shopify-Topic"
    /// The header carrying the delivery's id (the same on Shopify's retries).
    public static let webhookIdHeader = "X-Shopify-Webhook-Id"

    /// `shopify`; prefixes task keys.
    public let id: String
    /// Token, base URL and retries (an empty token: subscriptions are made by hand).
    public let configuration: ShopifyConfiguration
    /// The Admin API client.
    public let client: ShopifyClient
    /// How the handler checks signatures.
    public let signature: ShopifySignature

    /// The integration; without a token its sources keep the operator's secret and call nothing.
    public init(
        id: String = "shopify", configuration: ShopifyConfiguration = ShopifyConfiguration(token: ""),
        signature: ShopifySignature = ShopifySignature(), httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "tributary.shopify")
    ) {
        self.id = id
        self.configuration = configuration
        self.signature = signature
        self.client = ShopifyClient(configuration: configuration, httpClient: httpClient, logger: logger)
    }

    /// The `shopify` external source, keys `shopify.<shop>`.
    public var source: ExternalSource<NamedSourceParams> {
        let registration = ShopifyRegistration(integration: self)
        var register: ExternalSource<NamedSourceParams>.Register?
        if !configuration.token.isEmpty {
            register = { event, io, _ in try await registration.register(event, io: io) }
        }
        return .named(id: "shopify", prefix: "shopify", secretName: "app secret", scheme: signature, register: register) {
            delivery, _ in try Self.parse(delivery)
        }
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
    /// Shopify: `SHOPIFY_ACCESS_TOKEN` (registration; without it subscriptions are made by hand),
    /// `SHOPIFY_API_BASE`; keys `shopify.<shop>`.
    public static let provider = Provider(
        id: "shopify", name: "Shopify", summary: "Shopify credentials",
        variables: ShopifyConfiguration.variables,
        sourceKeys: [.named(prefix: "shopify", sourceId: "shopify", form: "shop")],
        events: ShopifyEvents.all.map(ProviderEvent.init), apiBase: ShopifyConfiguration.apiBaseVariable,
        subscribesByHandWithoutCredential: true, signDelivery: SignedDelivery.shopify)

    /// Reads `SHOPIFY_ACCESS_TOKEN` and `SHOPIFY_API_BASE`.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> ShopifyIntegration {
        ShopifyIntegration(
            configuration: try ShopifyConfiguration.build(from: environment), httpClient: environment.httpClient,
            logger: environment.logger)
    }

    /// The `shopify` source.
    public var externalSources: [AnyExternalSource] { [source.erased] }
}
