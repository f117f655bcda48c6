/// A Stripe Checkout Session (`checkout.session.*` events).
public struct StripeCheckoutSession: Codable, Sendable, Equatable {
    /// The customer details collected at checkout.
    public struct CustomerDetails: Codable, Sendable, Equatable {
        /// The email address.
        public var email: String?
        /// The name.
        public var name: String?
    }
    /// `cs_…`.
    public var id: String
    /// `payment`, `setup` or `subscription`.
    public var mode: String
    /// `open`, `complete` or `expired`.
    public var status: String?
    /// `paid`, `unpaid` or `no_payment_required`.
    public var paymentStatus: String
    /// The total in the smallest currency unit.
    public var amountTotal: Int?
    /// The subtotal in the smallest currency unit.
    public var amountSubtotal: Int?
    /// The currency.
    public var currency: String?
    /// The customer id, if any.
    public var customer: String?
    /// What the customer entered.
    public var customerDetails: CustomerDetails?
    /// Your reference.
    public var clientReferenceId: String?
    /// The PaymentIntent id, in payment mode.
    public var paymentIntent: String?
    /// The Subscription id, in subscription mode.
    public var subscription: String?
    /// The redirect after success.
    public var successUrl: String?
    /// The hosted page.
    public var url: String?
    /// Live or test mode.
    public var livemode: Bool?
    /// Free metadata.
    public var metadata: [String: String]?
    /// Creation time (Unix seconds).
    public var created: Int64?
    /// Expiry time (Unix seconds).
    public var expiresAt: Int64?

    enum CodingKeys: String, CodingKey {
        case id, mode, status, currency, customer, subscription, url, livemode, metadata, created
        case paymentStatus = "payment_status"
        case amountTotal = "amount_total"
        case amountSubtotal = "amount_subtotal"
        case customerDetails = "customer_details"
        case clientReferenceId = "client_reference_id"
        case paymentIntent = "payment_intent"
        case successUrl = "success_url"
        case expiresAt = "expires_at"
    }
}
