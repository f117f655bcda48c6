/// The params of the `stripe.webhook` source: whether the endpoint receives events of connected
/// accounts (Stripe Connect) or of the platform account.
public struct StripeSourceParams: Codable, Sendable, Hashable {
    /// A Connect endpoint; absent means false.
    public var connect: Bool?

    /// Params.
    public init(connect: Bool = false) {
        self.connect = connect
    }

    /// The source key: `stripe.webhook` or `stripe.webhook.connect`.
    public var key: String { connect == true ? "stripe.webhook.connect" : "stripe.webhook" }
}
