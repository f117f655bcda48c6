import AsyncHTTPClient
import Foundation
import Logging

/// The part of Shopify's Admin API that webhook registration needs, per shop:
/// `/admin/api/<version>/webhooks.json` listed through every page (`Link: …; rel="next"`), created,
/// updated and deleted, with `X-Shopify-Access-Token`. 429 (with `Retry-After`) and 5xx are retried,
/// except that a create is never repeated blindly (Shopify has no idempotency key): the caller lists again.
public struct ShopifyClient: Sendable {
    /// Where and how to call.
    public let configuration: ShopifyConfiguration
    private let httpClient: HTTPClient
    private let logger: Logger

    /// A client over `httpClient`.
    public init(configuration: ShopifyConfiguration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "tributary.shopify"))
    {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
    }

    private func api(_ shop: String) -> ProviderJSONAPI {
        ProviderJSONAPI(
            provider: "Shopify", base: configuration.base(forShop: shop), headers: [("X-Shopify-Access-Token", configuration.token)],
            retryPolicy: configuration.retryPolicy, timeout: configuration.requestTimeout, httpClient: httpClient, logger: logger,
            errorMessage: ProviderJSONAPI.errorMessage(provider: "Shopify", keys: ["errors", "error"]))
    }

    static let root = "/admin/api/\(ShopifyConfiguration.apiVersion)"

    private struct One: Codable, Sendable { var webhook: ShopifyWebhookSubscription }
    private struct Many: Decodable { var webhooks: [ShopifyWebhookSubscription] }

    /// Every subscription of the shop, following `Link` through all pages (250 a page).
    public func subscriptions(shop: String) async throws -> [ShopifyWebhookSubscription] {
        let api = api(shop)
        let path = Self.root + "/webhooks.json"
        var all: [ShopifyWebhookSubscription] = []
        var next: String? = api.base + path + "?limit=250"
        var visited: Set<String> = []
        while let url = next {
            // Our token goes only to the shop's API, and a page is read once.
            guard url.hasPrefix(api.base + "/"), visited.insert(url).inserted else {
                throw ProviderAPIError(
                    provider: "Shopify", operation: "GET \(path)", status: nil, message: "refusing to follow the Link header to \(url)")
            }
            let response = try await api.send(.GET, path, url: url)
            all += try api.decode(Many.self, response, operation: "GET \(path)").webhooks
            next = GitHubClient.nextLink(response.headers.first(name: "link"))
        }
        return all
    }

    /// Subscribes `address` to `topic` (JSON). Not retried on 5xx (see the type).
    public func createSubscription(shop: String, topic: String, address: String) async throws -> ShopifyWebhookSubscription {
        struct New: Encodable, Sendable {
            struct Webhook: Encodable, Sendable { var topic: String; var address: String; var format = "json" }
            var webhook: Webhook
        }
        let api = api(shop)
        let path = Self.root + "/webhooks.json"
        let response = try await api.send(.POST, path, body: New(webhook: .init(topic: topic, address: address)), retryTransient: false)
        return try api.decode(One.self, response, operation: "POST \(path)").webhook
    }

    /// Deletes a subscription; one already gone counts as deleted.
    public func deleteSubscription(shop: String, id: Int64) async throws {
        do {
            _ = try await api(shop).send(.DELETE, Self.root + "/webhooks/\(id).json")
        } catch let error as ProviderAPIError where error.isNotFound {
            return
        }
    }
}
