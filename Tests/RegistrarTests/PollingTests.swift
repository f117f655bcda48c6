import FakeProviders
import Foundation
import TributaryKafka
import ServiceSupport
import Testing
import Tributary
import TributaryIntegrations
import TributaryRegistrar

/// Polling sources: the registrar in this process polls the fake Notion API and publishes to `<p>.events`.
@Suite(.serialized) struct PollingTests {
    @Test func aNewPageGivesOnePageCreatedAndAnEditOnePageUpdated() async throws {
        try await RegistrarHarness.with { h in
            let db = h.fakes.notion.createDatabase()
            let existing = h.fakes.notion.addPage(database: db, title: "there before")
            try await h.declareNotion(database: db)
            let registrar = try await h.start(h.configuration(), catalog: h.notionCatalog())
            let key = "notion.\(db)"
            try await h.waitForPolls(key, atLeast: 1)
            #expect(try await h.state(key)?.channel == .polling)

            let page = h.fakes.notion.addPage(database: db, title: "new")
            try await eventually("page.created is published") { try await h.polledEvents(key).contains { $0.id == page.id } }
            try await h.waitForMorePolls(key, 3)
            let created = try await h.polledEvents(key)
            #expect(created.map(\.id) == [page.id])
            #expect(created.first?.name == "page.created")
            #expect(created.first?.sourceKey == key)
            #expect(created.first?.payload["properties"]?["Name"]?["title"]?.arrayValue?.first?["plain_text"]?.stringValue == "new")

            let edited = try #require(h.fakes.notion.edit(page: page.id, title: "renamed"))
            let updateId = "\(page.id)@\(FakeNotionAPI.format(edited.lastEditedTime))"
            try await eventually("page.updated is published") { try await h.polledEvents(key).contains { $0.id == updateId } }
            try await h.waitForMorePolls(key, 3)
            let all = try await h.polledEvents(key)
            // Records of different keys may sit on different partitions: compare as sorted lists (duplicates count).
            #expect(all.map(\.id).sorted() == [page.id, updateId].sorted())
            #expect(all.first { $0.id == updateId }?.name == "page.updated")
            #expect(!all.contains { $0.id.hasPrefix(existing.id) })
            // Every query after the baseline overlaps from the cursor's minute.
            let queries = h.fakes.notion.queries
            #expect(queries.first?.onOrAfter == nil)
            #expect(queries.dropFirst().allSatisfy { $0.onOrAfter != nil && $0.status == 200 })
            #expect(try await h.state(key)?.lastError == nil)
            await registrar.stop()
        }
    }

    @Test func aPollFailingPartWaySkipsNothingAndDuplicatesNothing() async throws {
        try await RegistrarHarness.with { h in
            h.fakes.notion.setMaxPageSize(2)
            let db = h.fakes.notion.createDatabase()
            try await h.declareNotion(database: db)
            let registrar = try await h.start(h.configuration(), catalog: h.notionCatalog())
            let key = "notion.\(db)"
            try await h.waitForPolls(key, atLeast: 1)

            h.fakes.notion.injectOnContinuation(FakeFailure(status: 500))
            let pages = h.fakes.notion.addPages(database: db, titles: ["a", "b", "c", "d", "e"])
            try await eventually("the failure is recorded on the source state") {
                try await h.history(key).contains { $0.lastError?.message.contains("500") == true }
            }
            try await eventually("every page is published") { try await h.polledEvents(key).count >= 5 }
            try await h.waitForMorePolls(key, 3)
            let events = try await h.polledEvents(key)
            #expect(events.map(\.id).sorted() == pages.map(\.id).sorted())
            #expect(events.allSatisfy { $0.name == "page.created" })
            let failed = h.fakes.notion.queries.filter { $0.status == 500 }
            #expect(failed.count == 1)
            #expect(failed.first?.startCursor != nil)
            #expect(try await h.state(key)?.lastError == nil)
            await registrar.stop()
        }
    }

    @Test func aRateLimitedPollWaitsForRetryAfter() async throws {
        try await RegistrarHarness.with { h in
            let db = h.fakes.notion.createDatabase()
            try await h.declareNotion(database: db)
            let registrar = try await h.start(h.configuration(), catalog: h.notionCatalog())
            let key = "notion.\(db)"
            try await h.waitForPolls(key, atLeast: 1)

            h.fakes.notion.inject(FakeFailure(status: 429, retryAfter: "1"))
            let page = h.fakes.notion.addPage(database: db, title: "later")
            try await eventually("the page is published after the rate limit") { try await h.polledEvents(key).map(\.id) == [page.id] }
            let queries = h.fakes.notion.queries
            let limited = try #require(queries.firstIndex { $0.status == 429 })
            let next = try #require(queries[(limited + 1)...].first)
            // Backoff alone would poll again after 0.1 s; Retry-After says 1 s.
            #expect(next.at.timeIntervalSince(queries[limited].at) >= 0.95)
            #expect(try await h.history(key).contains { $0.lastError?.message.contains("429") == true })
            #expect(try await h.state(key)?.lastError == nil)
            await registrar.stop()
        }
    }

    @Test func aRestartedRegistrarResumesFromTheStoredCursor() async throws {
        try await RegistrarHarness.with { h in
            let db = h.fakes.notion.createDatabase()
            try await h.declareNotion(database: db)
            let key = "notion.\(db)"
            let first = try await h.start(h.configuration(), catalog: h.notionCatalog(), name: "first")
            try await h.waitForPolls(key, atLeast: 1)
            let before = h.fakes.notion.addPage(database: db, title: "before the restart")
            try await eventually("the first page is published") { try await h.polledEvents(key).map(\.id) == [before.id] }
            await first.stop()

            let stored = try #require(try await h.state(key)?.data["cursor"]?["since"]?.stringValue)
            let during = h.fakes.notion.addPage(database: db, title: "while no registrar ran")
            let queriesBefore = h.fakes.notion.queries.count
            let second = try await h.start(h.configuration(), catalog: h.notionCatalog(), name: "second")
            try await eventually("the page added while down is published") { try await h.polledEvents(key).contains { $0.id == during.id } }
            try await h.waitForMorePolls(key, 3)

            // The new leader's first query starts at the stored cursor's minute: no baseline, no full re-read.
            let resumed = try #require(h.fakes.notion.queries.dropFirst(queriesBefore).first)
            let storedDate = try #require(RFC3339.date(from: stored))
            let minute = Date(timeIntervalSince1970: (storedDate.timeIntervalSince1970 / 60).rounded(.down) * 60)
            #expect(resumed.onOrAfter.flatMap(RFC3339.date(from:)) == minute)
            #expect(try await h.polledEvents(key).map(\.id).sorted() == [before.id, during.id].sorted())
            await second.stop()
        }
    }
}

extension RegistrarHarness {
    /// The integrations with Notion against the fake; the Notion client makes `attempts` attempts per call.
    func notionCatalog(attempts: Int = 1) throws -> IntegrationCatalog {
        var catalog = try catalog()
        let policy = RetryPolicy(
            maxAttempts: attempts, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50), maxRetryAfter: .seconds(2))
        catalog.notion = NotionIntegration(
            configuration: NotionConfiguration(
                token: fakes.notion.token, apiBase: fakeBase, retryPolicy: policy, requestTimeout: .seconds(5)))
        catalog.missingCredentials["notion"] = nil
        return catalog
    }

    /// Declares two jobs on the database, as a runner declares them: one on `page.created`, one on `page.updated`.
    func declareNotion(database: String, interval: Duration = .milliseconds(200)) async throws {
        let notion = NotionIntegration(configuration: NotionConfiguration(token: ""))
        for (job, event) in [("on-page-created", NotionEvents.pageCreated), ("on-page-updated", NotionEvents.pageUpdated)] {
            let declaration = try notion.trigger(event, database: database, interval: interval)
                .declaration(jobId: job, jobName: job, version: "1.0.0")
            try await send(KafkaProducerMessage(topic: topics.triggers.name, record: try declaration.record()))
        }
    }

    /// The events on `<p>.events` that came through a source key, in order.
    func polledEvents(_ key: String) async throws -> [EventRecord] {
        try await records(topics.events.name).map { try CloudEvent.decode(WireRecord($0)) }.filter { $0.sourceKey == key }
    }

    /// How many polls the source state records.
    func polls(_ key: String) async throws -> Int {
        Int(try await state(key)?.data["lastPoll"]?["polls"]?.numberValue ?? 0)
    }

    /// Waits until the source state records at least `count` polls.
    func waitForPolls(_ key: String, atLeast count: Int) async throws {
        try await eventually("\(count) poll(s) of \(key)") { try await polls(key) >= count }
    }

    /// Waits until `count` more polls happened.
    func waitForMorePolls(_ key: String, _ count: Int) async throws {
        let now = try await polls(key)
        try await waitForPolls(key, atLeast: now + count)
    }
}
