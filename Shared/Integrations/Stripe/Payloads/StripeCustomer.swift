/// A Stripe Customer (`customer.created`, `customer.updated`, `customer.deleted`).
public struct StripeCustomer: Codable, Sendable, Equatable {
    /// `cus_…`.
    public var id: String
    /// The email address.
    public var email: String?
    /// The full name.
    public var name: String?
    /// A phone number.
    public var phone: String?
    /// A description.
    public var description: String?
    /// The preferred currency.
    public var currency: String?
    /// The balance in the smallest currency unit.
    public var balance: Int?
    /// Whether an invoice is past due.
    public var delinquent: Bool?
    /// True in `customer.deleted`.
    public var deleted: Bool?
    /// Live or test mode.
    public var livemode: Bool?
    /// Free metadata.
    public var metadata: [String: String]?
    /// Creation time (Unix seconds).
    public var created: Int64?
}
