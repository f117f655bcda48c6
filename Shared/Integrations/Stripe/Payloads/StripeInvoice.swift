/// A Stripe Invoice (`invoice.*` events).
public struct StripeInvoice: Codable, Sendable, Equatable {
    /// `in_…` (absent on `invoice.upcoming`).
    public var id: String?
    /// `draft`, `open`, `paid`, `uncollectible` or `void`.
    public var status: String?
    /// The customer id.
    public var customer: String?
    /// The customer's email.
    public var customerEmail: String?
    /// The currency.
    public var currency: String
    /// Due, in the smallest currency unit.
    public var amountDue: Int
    /// Paid so far.
    public var amountPaid: Int?
    /// Still to pay.
    public var amountRemaining: Int?
    /// The total.
    public var total: Int?
    /// The subscription id, if any.
    public var subscription: String?
    /// `charge_automatically` or `send_invoice`.
    public var collectionMethod: String?
    /// The number shown to the customer.
    public var number: String?
    /// Whether it is paid.
    public var paid: Bool?
    /// The hosted invoice page.
    public var hostedInvoiceUrl: String?
    /// The due date (Unix seconds).
    public var dueDate: Int64?
    /// Live or test mode.
    public var livemode: Bool?
    /// Free metadata.
    public var metadata: [String: String]?
    /// Creation time (Unix seconds).
    public var created: Int64?

    enum CodingKeys: String, CodingKey {
        case id, status, customer, currency, total, subscription, number, paid, livemode, metadata, created
        case customerEmail = "customer_email"
        case amountDue = "amount_due"
        case amountPaid = "amount_paid"
        case amountRemaining = "amount_remaining"
        case collectionMethod = "collection_method"
        case hostedInvoiceUrl = "hosted_invoice_url"
        case dueDate = "due_date"
    }
}
