/// A Stripe Product (`product.*` events).
public struct StripeProduct: Codable, Sendable, Equatable {
    /// `prod_…`.
    public var id: String
    /// Whether it is available for purchase.
    public var active: Bool
    /// The name shown to customers.
    public var name: String
    /// A description.
    public var description: String?
    /// The default price id.
    public var defaultPrice: String?
    /// Image URLs.
    public var images: [String]?
    /// Live or test mode.
    public var livemode: Bool?
    /// Free metadata.
    public var metadata: [String: String]?
    /// Creation time (Unix seconds).
    public var created: Int64?
    /// Last update time (Unix seconds).
    public var updated: Int64?

    enum CodingKeys: String, CodingKey {
        case id, active, name, description, images, livemode, metadata, created, updated
        case defaultPrice = "default_price"
    }
}
