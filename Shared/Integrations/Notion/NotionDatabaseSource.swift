import Foundation
import Tributary

/// The `notion.database` polling source: each poll queries the database for pages edited at or after
/// the start of the cursor's minute (sorted by `last_edited_time`, every page of the answer), and emits
/// `page.created` (id: the page id) for pages created since the cursor (or never edited) and
/// `page.updated` (id: `<page id>@<last_edited_time>`) for edited ones. The ids are stable, so a poll
/// repeated after a failure, or overlapping the last one, yields no duplicate runs; events already
/// published for the overlapping minute are not published again.
///
/// The first poll (no cursor) only takes a baseline: pages that exist then give no events.
/// Notion keeps times to the minute: two edits of one page within a minute are one `page.updated`,
/// and a page edited in the minute it was created is seen as created.
struct NotionDatabaseSource: Sendable {
    let integration: NotionIntegration

    var pollingSource: PollingSource<NotionSourceParams> {
        PollingSource(
            id: "notion.database", version: "1",
            key: { $0.key },
            interval: { $0.interval },
            validate: { params in
                guard !params.databaseId.isEmpty else {
                    throw SourceParamsError(sourceId: "notion.database", message: "databaseId is empty")
                }
                if let seconds = params.intervalSeconds, !(seconds > 0) {
                    throw SourceParamsError(sourceId: "notion.database", message: "intervalSeconds must be positive")
                }
            },
            poll: { request, io in try await self.poll(request, io: io) })
    }

    /// One poll: reads every changed page, then computes the events and the next cursor.
    func poll(_ request: PollRequest<NotionSourceParams>, io: IO) async throws -> PollResult {
        let cursor = try request.cursor.flatMap { $0 == .null ? nil : try $0.decode(as: NotionCursor.self) }
        var pages: [NotionPage] = []
        var raw: [JSON] = []
        var startCursor: String?
        var index = 0
        repeat {
            index += 1
            let answer = try await integration.queryDatabase(
                io, "query-\(index)", id: request.params.databaseId, editedOnOrAfter: cursor?.queryFrom, startCursor: startCursor)
            for page in answer.results {
                raw.append(page)
                pages.append(try page.decode(as: NotionPage.self))
            }
            startCursor = answer.hasMore ? answer.nextCursor : nil
        } while startCursor != nil
        return Self.result(pages: zip(pages, raw).map { ($0, $1) }, cursor: cursor)
    }

    /// The events and next cursor for the pages a complete query returned.
    static func result(pages: [(NotionPage, JSON)], cursor: NotionCursor?) -> PollResult {
        let since = cursor.flatMap { RFC3339.date(from: $0.since) }
        let seen = Set(cursor?.seen ?? [])
        var events: [EventRecord] = []
        var candidates: [(id: String, edited: Date)] = []
        var newest = since
        for (page, payload) in pages {
            guard let created = RFC3339.date(from: page.createdTime), let edited = RFC3339.date(from: page.lastEditedTime) else { continue }
            newest = max(newest ?? edited, edited)
            var found: [EventRecord] = []
            if created == edited || (since.map { created > $0 } ?? false) {
                found.append(
                    EventRecord(
                        id: page.id, name: NotionEvents.pageCreated.name, source: NotionEvents.source,
                        timestamp: created, payload: payload))
            }
            if created != edited {
                found.append(
                    EventRecord(
                        id: "\(page.id)@\(page.lastEditedTime)", name: NotionEvents.pageUpdated.name,
                        source: NotionEvents.source, timestamp: edited, payload: payload))
            }
            for event in found {
                candidates.append((event.id, edited))
                // No cursor: the first poll takes a baseline and emits nothing.
                if cursor != nil && !seen.contains(event.id) { events.append(event) }
            }
        }
        guard let newest else {
            // Nothing ever seen: start from the beginning of time, so the first page added is seen.
            let next = cursor ?? NotionCursor(since: RFC3339.string(from: Date(timeIntervalSince1970: 0)), seen: [])
            return PollResult(events: events, cursor: try? JSON(encoding: next))
        }
        // The next query re-reads the newest minute: remember what it would emit again.
        let minute = NotionCursor.minute(of: newest)
        var remembered: [String] = []
        for candidate in candidates where candidate.edited >= minute && !remembered.contains(candidate.id) {
            remembered.append(candidate.id)
        }
        if let cursor, let since, NotionCursor.minute(of: since) == minute {
            // Same minute as before: what was seen then is still in the overlap.
            for id in cursor.seen where !remembered.contains(id) { remembered.append(id) }
        }
        let next = NotionCursor(since: RFC3339.string(from: newest), seen: remembered)
        return PollResult(events: events, cursor: try? JSON(encoding: next))
    }
}
