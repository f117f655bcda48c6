import Tributary

/// Shopify's webhook subscription calls as `io` tasks (keys `shopify.<key>`), for register functions and
/// jobs. The client retries 429 and 5xx itself (a create only on 429), so `io` does not retry them again.
extension ShopifyIntegration {
    /// Every subscription of the shop (all pages).
    public func listSubscriptions(_ io: IO, _ key: String, shop: String) async throws -> [ShopifyWebhookSubscription] {
        let client = self.client
        return try await task(io, key, retry: .none) { try await client.subscriptions(shop: shop) }
    }

    /// Subscribes `address` to `topic`.
    public func createSubscription(
        _ io: IO, _ key: String, shop: String, topic: String, address: String
    ) async throws -> ShopifyWebhookSubscription {
        let client = self.client
        return try await task(io, key, retry: .none) { try await client.createSubscription(shop: shop, topic: topic, address: address) }
    }

    /// Deletes a subscription; one already gone counts as deleted.
    public func deleteSubscription(_ io: IO, _ key: String, shop: String, id: Int64) async throws {
        let client = self.client
        _ = try await task(io, key, retry: .none) { () async throws -> Bool in
            try await client.deleteSubscription(shop: shop, id: id)
            return true
        }
    }
}
