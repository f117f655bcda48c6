import Foundation
import Synchronization

/// A stateful fake of Notion's database query API (`POST /v1/databases/{id}/query`): bearer auth, the
/// `Notion-Version` header, a `last_edited_time` `on_or_after` filter compared to the minute (as Notion
/// does), ascending sorts, pages of `page_size` (capped by `maxPageSize`) linked by `next_cursor`, and
/// failures a test injects. Its clock is its own: every change moves it on by `step` (default one minute),
/// and times are written to the minute, as Notion writes them.
public final class FakeNotionAPI: Sendable {
    /// A page (database row) held by the fake.
    public struct Page: Sendable, Equatable {
        /// The page id (a UUID).
        public var id: String
        /// The database it belongs to.
        public var databaseId: String
        /// Its title.
        public var title: String
        /// When it was created (the fake's clock).
        public var createdTime: Date
        /// When it was last edited (the fake's clock).
        public var lastEditedTime: Date
    }

    /// One query the fake answered.
    public struct Query: Sendable, Equatable {
        /// The database id of the path.
        public var databaseId: String
        /// The filter's `on_or_after`, if any.
        public var onOrAfter: String?
        /// The `start_cursor`, if any (a continuation page).
        public var startCursor: String?
        /// The status answered.
        public var status: Int
        /// When it arrived (wall clock).
        public var at: Date
    }

    private struct State {
        var databases: Set<String> = []
        var pages: [Page] = []
        var failures: [FakeFailure] = []
        var continuationFailures: [FakeFailure] = []
        var log: [Query] = []
        var clock = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
        var maxPageSize = 100
    }

    /// The token requests must carry.
    public let token: String
    /// How far each change moves the fake's clock.
    public let step: TimeInterval
    private let state = Mutex(State())

    /// A fake accepting `Authorization: Bearer <token>`.
    public init(token: String = "secret_fake_notion", step: TimeInterval = 60) {
        self.token = token
        self.step = step
    }

    /// Creates an empty database; returns its id.
    public func createDatabase() -> String {
        let id = UUID().uuidString.lowercased()
        state.withLock { _ = $0.databases.insert(id) }
        return id
    }

    /// Adds pages (all at the same, new, time); returns them.
    @discardableResult
    public func addPages(database: String, titles: [String]) -> [Page] {
        state.withLock { s in
            s.clock += step
            let pages = titles.map {
                Page(id: UUID().uuidString.lowercased(), databaseId: database, title: $0, createdTime: s.clock, lastEditedTime: s.clock)
            }
            s.pages += pages
            return pages
        }
    }

    /// Adds one page; returns it.
    @discardableResult
    public func addPage(database: String, title: String) -> Page { addPages(database: database, titles: [title])[0] }

    /// Edits a page (new title, new `last_edited_time`); returns it.
    @discardableResult
    public func edit(page id: String, title: String) -> Page? {
        state.withLock { s in
            guard let index = s.pages.firstIndex(where: { $0.id == id }) else { return nil }
            s.clock += step
            s.pages[index].title = title
            s.pages[index].lastEditedTime = s.clock
            return s.pages[index]
        }
    }

    /// The largest page size the fake answers with.
    public func setMaxPageSize(_ size: Int) { state.withLock { $0.maxPageSize = max(1, size) } }

    /// Answers the next queries with these failures, one each, in order.
    public func inject(_ failures: FakeFailure...) { state.withLock { $0.failures += failures } }

    /// Answers the next continuation queries (those with a `start_cursor`) with these failures, one each.
    public func injectOnContinuation(_ failures: FakeFailure...) { state.withLock { $0.continuationFailures += failures } }

    /// Every query seen so far.
    public var queries: [Query] { state.withLock { $0.log } }

    /// The pages of every database.
    public var pages: [Page] { state.withLock { $0.pages } }

    /// Notion's time format: to the millisecond, in UTC (`2026-01-01T00:01:00.000Z`).
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// Answers one API request.
    public func handle(_ request: FakeRequest) -> FakeResponse {
        state.withLock { s in
            let parts = request.path.split(separator: "/").map(String.init)
            guard parts.count == 4, parts[0] == "v1", parts[1] == "databases", parts[3] == "query", request.method == "POST" else {
                return Self.error(404, "invalid_request_url", "Invalid request URL.")
            }
            let databaseId = parts[2]
            let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
            let filter = body["filter"] as? [String: Any]
            let onOrAfter = (filter?["last_edited_time"] as? [String: Any])?["on_or_after"] as? String
            let startCursor = body["start_cursor"] as? String
            var record = Query(databaseId: databaseId, onOrAfter: onOrAfter, startCursor: startCursor, status: 200, at: Date())
            let response = answer(&s, request, databaseId: databaseId, body: body, onOrAfter: onOrAfter, startCursor: startCursor)
            record.status = response.status
            s.log.append(record)
            return response
        }
    }

    private func answer(
        _ s: inout State, _ request: FakeRequest, databaseId: String, body: [String: Any], onOrAfter: String?, startCursor: String?
    ) -> FakeResponse {
        if startCursor != nil, !s.continuationFailures.isEmpty { return Self.failure(s.continuationFailures.removeFirst()) }
        if !s.failures.isEmpty { return Self.failure(s.failures.removeFirst()) }
        guard request.headers["authorization"] == "Bearer \(token)" else {
            return Self.error(401, "unauthorized", "API token is invalid.")
        }
        guard request.headers["notion-version"] == "2022-06-28" else {
            return Self.error(400, "missing_version", "Notion-Version header failed validation.")
        }
        guard s.databases.contains(databaseId) else {
            return Self.error(404, "object_not_found", "Could not find database with ID: \(databaseId).")
        }
        var from: Date?
        if let onOrAfter {
            guard let date = Self.parse(onOrAfter) else {
                return Self.error(400, "validation_error", "body.filter.last_edited_time.on_or_after is not a date")
            }
            from = Self.minute(date)
        }
        // Sorted by last edit (then creation order), filtered to the minute.
        let matching = s.pages.enumerated()
            .filter { entry in
                entry.element.databaseId == databaseId && (from.map { Self.minute(entry.element.lastEditedTime) >= $0 } ?? true)
            }
            .sorted { ($0.element.lastEditedTime, $0.offset) < ($1.element.lastEditedTime, $1.offset) }
            .map(\.element)
        var start = 0
        if let startCursor {
            guard let index = matching.firstIndex(where: { $0.id == startCursor }) else {
                return Self.error(400, "validation_error", "start_cursor is invalid")
            }
            start = index
        }
        let size = min((body["page_size"] as? Int) ?? 100, s.maxPageSize)
        let slice = Array(matching[start..<min(start + size, matching.count)])
        let hasMore = start + size < matching.count
        return .json(
            200,
            [
                "object": "list", "results": slice.map(Self.json), "has_more": hasMore,
                "next_cursor": hasMore ? matching[start + size].id as Any : NSNull(), "type": "page_or_database",
            ])
    }

    static func json(_ page: Page) -> [String: Any] {
        [
            "object": "page", "id": page.id, "created_time": format(page.createdTime), "last_edited_time": format(page.lastEditedTime),
            "archived": false, "url": "https://www.notion.so/\(page.id.replacingOccurrences(of: "-", with: ""))",
            "parent": ["type": "database_id", "database_id": page.databaseId],
            "properties": ["Name": ["id": "title", "type": "title", "title": [["type": "text", "plain_text": page.title]]]],
        ]
    }

    private static func minute(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60)
    }

    private static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    private static func failure(_ failure: FakeFailure) -> FakeResponse {
        var headers: [String: String] = [:]
        if let retryAfter = failure.retryAfter { headers["Retry-After"] = retryAfter }
        let code = failure.status == 429 ? "rate_limited" : "internal_server_error"
        return .json(
            failure.status, ["object": "error", "status": failure.status, "code": code, "message": "Injected failure \(failure.status)"],
            headers: headers)
    }

    private static func error(_ status: Int, _ code: String, _ message: String) -> FakeResponse {
        .json(status, ["object": "error", "status": status, "code": code, "message": message])
    }
}
