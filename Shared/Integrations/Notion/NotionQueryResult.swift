import Tributary

/// One page of a database query's answer: the pages (as Notion sent them), and the cursor of the next page.
public struct NotionQueryResult: Sendable, Hashable, Codable {
    /// The Notion pages (database rows), as JSON.
    public var results: [JSON]
    /// Whether more pages follow.
    public var hasMore: Bool
    /// The `start_cursor` of the next page.
    public var nextCursor: String?

    /// A result.
    public init(results: [JSON], hasMore: Bool, nextCursor: String?) {
        self.results = results; self.hasMore = hasMore; self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case results
        case hasMore = "has_more"
        case nextCursor = "next_cursor"
    }
}
