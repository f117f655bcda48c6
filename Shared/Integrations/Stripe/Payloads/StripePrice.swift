/// A Stripe Price (`price.*` events). Fields Stripe may omit or null are optional.
public struct StripePrice: Codable, Sendable, Equatable {
    /// Recurrence of a recurring price.
    public struct Recurring: Codable, Sendable, Equatable {
        /// `day`, `week`, `month` or `year`.
        public var interval: String
        /// Intervals between billings.
        public var intervalCount: Int?
        /// `licensed` or `metered`.
        public var usageType: String?
        enum CodingKeys: String, CodingKey {
            case interval
            case intervalCount = "interval_count"
            case usageType = "usage_type"
        }
    }
    /// `price_…`.
    public var id: String
    /// Whether it can be used for new purchases.
    public var active: Bool
    /// Three-letter ISO currency code, lower case.
    public var currency: String
    /// The amount in the currency's smallest unit.
    public var unitAmount: Int?
    /// `one_time` or `recurring`.
    public var type: String
    /// The product id (or the expanded product's id).
    public var product: String?
    /// A lookup key, if set.
    public var lookupKey: String?
    /// A display name.
    public var nickname: String?
    /// The recurrence, for recurring prices.
    public var recurring: Recurring?
    /// Live or test mode.
    public var livemode: Bool?
    /// Free metadata.
    public var metadata: [String: String]?
    /// Creation time (Unix seconds).
    public var created: Int64?

    enum CodingKeys: String, CodingKey {
        case id, active, currency, type, product, nickname, recurring, livemode, metadata, created
        case unitAmount = "unit_amount"
        case lookupKey = "lookup_key"
    }
}
