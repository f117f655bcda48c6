/// A Shopify webhook subscription as the Admin API returns it: one topic to one address.
public struct ShopifyWebhookSubscription: Codable, Sendable, Equatable {
    /// Shopify's id.
    public var id: Int64
    /// Where Shopify posts.
    public var address: String
    /// The topic, e.g. `orders/create`.
    public var topic: String
    /// `json` or `xml`.
    public var format: String?
}
