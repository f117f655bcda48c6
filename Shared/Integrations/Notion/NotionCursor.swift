import Foundation
import Tributary

/// Where a Notion database poll stands (stored as the source's cursor): the newest `last_edited_time`
/// seen, and the ids of the events already published for pages edited in that minute, which the next
/// poll reads again (Notion filters with minute precision, so the query overlaps by that minute).
struct NotionCursor: Sendable, Hashable, Codable {
    /// The newest `last_edited_time` seen (RFC 3339).
    var since: String
    /// Event ids already published for pages whose `last_edited_time` is in the minute of `since`.
    var seen: [String]

    /// The start of the minute of `since`: what the next query filters with (`on_or_after`).
    var queryFrom: String {
        guard let date = RFC3339.date(from: since) else { return since }
        return RFC3339.string(from: Self.minute(of: date))
    }

    /// The start of the minute of `date`.
    static func minute(of date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60)
    }
}
