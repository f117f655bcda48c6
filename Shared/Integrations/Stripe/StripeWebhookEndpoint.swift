/// A Stripe webhook endpoint, as the API returns it. `secret` is present only in the answer to a create.
public struct StripeWebhookEndpoint: Codable, Sendable, Equatable {
    /// `we_…`.
    public var id: String
    /// Where Stripe posts events.
    public var url: String
    /// The event types sent (`*` for all).
    public var enabledEvents: [String]
    /// `enabled` or `disabled`.
    public var status: String
    /// The signing secret (`whsec_…`), only when just created.
    public var secret: String?
    /// The API version of the events, if pinned.
    public var apiVersion: String?
    /// The Connect application, if any.
    public var application: String?
    /// Creation time (Unix seconds).
    public var created: Int64?
    /// A free description.
    public var description: String?
    /// Live or test mode.
    public var livemode: Bool?
    /// Free metadata.
    public var metadata: [String: String]?

    /// An endpoint value (mostly for tests and fakes).
    public init(id: String, url: String, enabledEvents: [String], status: String = "enabled", secret: String? = nil) {
        self.id = id
        self.url = url
        self.enabledEvents = enabledEvents
        self.status = status
        self.secret = secret
    }

    enum CodingKeys: String, CodingKey {
        case id, url, status, secret, created, description, livemode, metadata, application
        case enabledEvents = "enabled_events"
        case apiVersion = "api_version"
    }
}

/// One page of a Stripe list.
public struct StripeList<Element: Codable & Sendable>: Codable, Sendable {
    /// The page's objects.
    public var data: [Element]
    /// Whether more objects follow the last one.
    public var hasMore: Bool

    enum CodingKeys: String, CodingKey {
        case data
        case hasMore = "has_more"
    }
}
