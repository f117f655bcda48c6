/// A Linear webhook as the GraphQL API returns it.
public struct LinearWebhook: Codable, Sendable, Equatable {
    /// The team it belongs to.
    public struct Team: Codable, Sendable, Equatable {
        /// The team's id.
        public var id: String
        /// The team's key, e.g. `ENG`.
        public var key: String?
    }

    /// Linear's id.
    public var id: String
    /// Where Linear posts.
    public var url: String?
    /// Whether deliveries are sent.
    public var enabled: Bool
    /// The resource types sent (`Issue`, `Comment`…).
    public var resourceTypes: [String]
    /// Its team (nil for an all-public-teams webhook).
    public var team: Team?
    /// The signing secret, when Linear answers with it (only creates and updates ask for it; never recorded).
    public var secret: String?
}
