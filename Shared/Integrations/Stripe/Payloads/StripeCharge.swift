/// A Stripe Charge (`charge.*` events).
public struct StripeCharge: Codable, Sendable, Equatable {
    /// `ch_…`.
    public var id: String
    /// The amount in the smallest currency unit.
    public var amount: Int
    /// Captured so far.
    public var amountCaptured: Int?
    /// Refunded so far.
    public var amountRefunded: Int?
    /// The currency.
    public var currency: String
    /// `succeeded`, `pending` or `failed`.
    public var status: String
    /// Whether it was captured.
    public var captured: Bool?
    /// Whether it was fully refunded.
    public var refunded: Bool?
    /// Whether it succeeded or was authorized.
    public var paid: Bool?
    /// The customer id.
    public var customer: String?
    /// The PaymentIntent id.
    public var paymentIntent: String?
    /// A description.
    public var description: String?
    /// The failure code, for failed charges.
    public var failureCode: String?
    /// The failure message, for failed charges.
    public var failureMessage: String?
    /// The receipt address.
    public var receiptEmail: String?
    /// The receipt page.
    public var receiptUrl: String?
    /// Live or test mode.
    public var livemode: Bool?
    /// Free metadata.
    public var metadata: [String: String]?
    /// Creation time (Unix seconds).
    public var created: Int64?

    enum CodingKeys: String, CodingKey {
        case id, amount, currency, status, captured, refunded, paid, customer, description, livemode, metadata, created
        case amountCaptured = "amount_captured"
        case amountRefunded = "amount_refunded"
        case paymentIntent = "payment_intent"
        case failureCode = "failure_code"
        case failureMessage = "failure_message"
        case receiptEmail = "receipt_email"
        case receiptUrl = "receipt_url"
    }
}
