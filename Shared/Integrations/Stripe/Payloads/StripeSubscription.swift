/// A Stripe Subscription (`customer.subscription.*` events).
public struct StripeSubscription: Codable, Sendable, Equatable {
    /// The subscription's items.
    public struct Items: Codable, Sendable, Equatable {
        /// One item: a price and a quantity.
        public struct Item: Codable, Sendable, Equatable {
            /// `si_…`.
            public var id: String
            /// The price.
            public var price: StripePrice?
            /// The quantity.
            public var quantity: Int?
        }
        /// The items.
        public var data: [Item]
    }
    /// `sub_…`.
    public var id: String
    /// The customer id.
    public var customer: String
    /// `incomplete`, `trialing`, `active`, `past_due`, `canceled`, `unpaid`, `paused`…
    public var status: String
    /// The items.
    public var items: Items?
    /// The currency.
    public var currency: String?
    /// Whether it ends at the period's end.
    public var cancelAtPeriodEnd: Bool?
    /// Start of the current period (Unix seconds).
    public var currentPeriodStart: Int64?
    /// End of the current period (Unix seconds).
    public var currentPeriodEnd: Int64?
    /// End of the trial (Unix seconds).
    public var trialEnd: Int64?
    /// When it was canceled (Unix seconds).
    public var canceledAt: Int64?
    /// The latest invoice id.
    public var latestInvoice: String?
    /// Live or test mode.
    public var livemode: Bool?
    /// Free metadata.
    public var metadata: [String: String]?
    /// Creation time (Unix seconds).
    public var created: Int64?

    enum CodingKeys: String, CodingKey {
        case id, customer, status, items, currency, livemode, metadata, created
        case cancelAtPeriodEnd = "cancel_at_period_end"
        case currentPeriodStart = "current_period_start"
        case currentPeriodEnd = "current_period_end"
        case trialEnd = "trial_end"
        case canceledAt = "canceled_at"
        case latestInvoice = "latest_invoice"
    }
}
