import Tributary

/// The params of a Notion database source: which database, and how often it is polled.
public struct NotionSourceParams: Codable, Sendable, Hashable {
    /// The database id (with or without dashes).
    public var databaseId: String
    /// Seconds between polls; absent means 60.
    public var intervalSeconds: Double?

    /// Params.
    public init(databaseId: String, intervalSeconds: Double? = nil) {
        self.databaseId = databaseId
        self.intervalSeconds = intervalSeconds
    }

    /// The source key: `notion.<database id>`.
    public var key: String { "notion.\(databaseId)" }

    /// The poll interval.
    public var interval: Duration { Duration(seconds: intervalSeconds ?? 60) }
}
