import Tributary

/// A Notion page (a database row): the payload of `page.created` and `page.updated`.
public struct NotionPage: Sendable, Hashable, Codable {
    /// The page id (a UUID).
    public var id: String
    /// When it was created (RFC 3339; Notion rounds to the minute).
    public var createdTime: String
    /// When it was last edited (RFC 3339; Notion rounds to the minute).
    public var lastEditedTime: String
    /// Whether it is archived (in the trash).
    public var archived: Bool?
    /// Its URL in Notion.
    public var url: String?
    /// Its property values, by property name.
    public var properties: JSON

    /// A page.
    public init(
        id: String, createdTime: String, lastEditedTime: String, archived: Bool? = nil, url: String? = nil, properties: JSON = .object([:])
    ) {
        self.id = id; self.createdTime = createdTime; self.lastEditedTime = lastEditedTime
        self.archived = archived; self.url = url; self.properties = properties
    }

    enum CodingKeys: String, CodingKey {
        case id, archived, url, properties
        case createdTime = "created_time"
        case lastEditedTime = "last_edited_time"
    }
}
