import Tributary

/// The event specifications of Notion database sources (source `notion.so`): `page.created` (id: the
/// page id) and `page.updated` (id: `<page id>@<last_edited_time>`), both with a `NotionPage` payload.
public enum NotionEvents {
    /// The CloudEvents source of Notion events.
    public static let source = "notion.so"

    /// `page.created`: a page was added to the database.
    public static let pageCreated = EventSpecification<NotionPage>(
        name: "page.created", title: "Notion page created", source: source, icon: "notion",
        examples: [EventExample(id: "page", name: "Page created", payload: example)], runProperties: properties)

    /// `page.updated`: a page of the database was edited.
    public static let pageUpdated = EventSpecification<NotionPage>(
        name: "page.updated", title: "Notion page updated", source: source, icon: "notion",
        examples: [EventExample(id: "page", name: "Page updated", payload: example)], runProperties: properties)

    static let example: JSON = [
        "object": "page", "id": "59833787-2cf9-4fdf-8782-e53db20768a5",
        "created_time": "2026-11-29T20:20:00.000Z", "last_edited_time": "2026-11-29T20:20:00.000Z",
        "archived": false, "url": "https://www.notion.so/59833787",
        "properties": ["Name": ["type": "title", "title": [["plain_text": "Tributary"]]]],
    ]

    @Sendable static func properties(_ page: NotionPage) -> [RunProperty] {
        var list = [RunProperty(label: "Page", text: page.id, url: page.url)]
        list.append(RunProperty(label: "Edited", text: page.lastEditedTime))
        return list
    }
}
