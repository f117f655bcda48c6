/// A GitHub repository or organization webhook, as the API returns it (the secret is never returned).
public struct GitHubHook: Codable, Sendable, Equatable {
    /// The hook's configuration.
    public struct Config: Codable, Sendable, Equatable {
        /// Where GitHub posts deliveries.
        public var url: String?
        /// `json` or `form`.
        public var contentType: String?
        /// `"0"` to verify TLS.
        public var insecureSSL: String?

        enum CodingKeys: String, CodingKey {
            case url
            case contentType = "content_type"
            case insecureSSL = "insecure_ssl"
        }
    }

    /// The hook id.
    public var id: Int64
    /// Always `web`.
    public var name: String?
    /// Whether deliveries are sent.
    public var active: Bool
    /// The subscribed events.
    public var events: [String]
    /// URL and format.
    public var config: Config

    /// A hook value (mostly for tests and fakes).
    public init(id: Int64, url: String, events: [String], active: Bool = true) {
        self.id = id
        self.name = "web"
        self.active = active
        self.events = events
        self.config = Config(url: url, contentType: "json", insecureSSL: "0")
    }
}
