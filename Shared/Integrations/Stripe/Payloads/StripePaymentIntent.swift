/// A Stripe PaymentIntent (`payment_intent.*` events).
public struct StripePaymentIntent: Codable, Sendable, Equatable {
    /// The last payment error, on `payment_intent.payment_failed`.
    public struct LastPaymentError: Codable, Sendable, Equatable {
        /// The error code.
        public var code: String?
        /// The decline code.
        public var declineCode: String?
        /// The message.
        public var message: String?
        /// The error type.
        public var type: String?
        enum CodingKeys: String, CodingKey {
            case code, message, type
            case declineCode = "decline_code"
        }
    }
    /// `pi_…`.
    public var id: String
    /// The amount in the smallest currency unit.
    public var amount: Int
    /// Capturable now.
    public var amountCapturable: Int?
    /// Received so far.
    public var amountReceived: Int?
    /// The currency.
    public var currency: String
    /// `requires_payment_method`, `requires_confirmation`, `requires_action`, `processing`,
    /// `requires_capture`, `canceled` or `succeeded`.
    public var status: String
    /// The customer id.
    public var customer: String?
    /// A description.
    public var description: String?
    /// The latest charge id.
    public var latestCharge: String?
    /// The payment method id.
    public var paymentMethod: String?
    /// `automatic`, `automatic_async` or `manual`.
    public var captureMethod: String?
    /// Why it was canceled.
    public var cancellationReason: String?
    /// The last failure.
    public var lastPaymentError: LastPaymentError?
    /// The receipt address.
    public var receiptEmail: String?
    /// Live or test mode.
    public var livemode: Bool?
    /// Free metadata.
    public var metadata: [String: String]?
    /// Creation time (Unix seconds).
    public var created: Int64?

    enum CodingKeys: String, CodingKey {
        case id, amount, currency, status, customer, description, livemode, metadata, created
        case amountCapturable = "amount_capturable"
        case amountReceived = "amount_received"
        case latestCharge = "latest_charge"
        case paymentMethod = "payment_method"
        case captureMethod = "capture_method"
        case cancellationReason = "cancellation_reason"
        case lastPaymentError = "last_payment_error"
        case receiptEmail = "receipt_email"
    }
}
