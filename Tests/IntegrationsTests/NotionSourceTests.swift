import FakeProviders
import Foundation
import Testing
import Tributary
import TributaryIntegrations

/// The Notion database polling source against the fake Notion API, without Kafka.
@Suite struct NotionSourceTests {
    static func integration(_ server: FakeProviderServer, _ base: String) -> NotionIntegration {
        NotionIntegration(
            configuration: NotionConfiguration(
                token: server.notion.token, apiBase: base,
                retryPolicy: RetryPolicy(maxAttempts: 1, baseDelay: .milliseconds(10), maxDelay: .milliseconds(10)),
                requestTimeout: .seconds(5)))
    }

    static func poll(_ notion: NotionIntegration, _ database: String, _ cursor: JSON?) async throws -> PollResult {
        let io = IO(runId: "poll_test_\(UUID().uuidString)", store: InMemoryTaskStore(), print: false)
        let params = try JSON(encoding: NotionSourceParams(databaseId: database))
        return try await notion.source.erased.poll(PollRequest(key: "notion.\(database)", params: params, cursor: cursor), io: io)
    }

    @Test func theFirstPollTakesABaselineAndLaterPollsReadEveryPageOfTheQuery() async throws {
        try await withFakeProviders { server, base in
            let notion = Self.integration(server, base)
            server.notion.setMaxPageSize(2)
            let db = server.notion.createDatabase()
            server.notion.addPages(database: db, titles: ["old 1", "old 2", "old 3"])
            let baseline = try await Self.poll(notion, db, nil)
            #expect(baseline.events.isEmpty)
            #expect(server.notion.queries.count == 2)  // 3 pages in pages of 2
            #expect(server.notion.queries.first?.onOrAfter == nil)

            let added = server.notion.addPages(database: db, titles: ["a", "b", "c"])
            let next = try await Self.poll(notion, db, baseline.cursor)
            #expect(next.events.map(\.id) == added.map(\.id))
            #expect(next.events.allSatisfy { $0.name == "page.created" && $0.source == "notion.so" && $0.sourceKey == "notion.\(db)" })
            let page = try #require(next.events.first).payload.decode(as: NotionPage.self)
            #expect(page.id == added[0].id)
            #expect(try await Self.poll(notion, db, next.cursor).events.isEmpty)
        }
    }

    @Test func pagesInTheOverlappingMinuteArePublishedOnce() async throws {
        // A clock that never moves: every page is in the same minute as the cursor.
        try await withFakeProviders(FakeProviderServer(notion: FakeNotionAPI(step: 0))) { server, base in
            let notion = Self.integration(server, base)
            let db = server.notion.createDatabase()
            let baseline = try await Self.poll(notion, db, nil)
            let a = server.notion.addPage(database: db, title: "a")
            let first = try await Self.poll(notion, db, baseline.cursor)
            #expect(first.events.map(\.id) == [a.id])
            let b = server.notion.addPage(database: db, title: "b")
            let second = try await Self.poll(notion, db, first.cursor)
            #expect(second.events.map(\.id) == [b.id])
            #expect(server.notion.queries.last?.onOrAfter != nil)
            #expect(try await Self.poll(notion, db, second.cursor).events.isEmpty)
        }
    }

    @Test func anEditIsOnePageUpdatedWithAStableId() async throws {
        try await withFakeProviders { server, base in
            let notion = Self.integration(server, base)
            let db = server.notion.createDatabase()
            let page = server.notion.addPage(database: db, title: "a")
            let baseline = try await Self.poll(notion, db, nil)
            let edited = try #require(server.notion.edit(page: page.id, title: "b"))
            let first = try await Self.poll(notion, db, baseline.cursor)
            let id = "\(page.id)@\(FakeNotionAPI.format(edited.lastEditedTime))"
            #expect(first.events.map(\.id) == [id])
            #expect(first.events.first?.name == "page.updated")
            // Polled again from the same (old) cursor, as after a failure: the same id.
            #expect(try await Self.poll(notion, db, baseline.cursor).events.map(\.id) == [id])
        }
    }

    @Test func aFailedContinuationFailsThePollAndA429CarriesRetryAfter() async throws {
        try await withFakeProviders { server, base in
            let notion = Self.integration(server, base)
            server.notion.setMaxPageSize(1)
            let db = server.notion.createDatabase()
            server.notion.addPages(database: db, titles: ["a", "b"])
            server.notion.injectOnContinuation(FakeFailure(status: 500))
            await #expect(throws: TaskFailedError.self) { try await Self.poll(notion, db, nil) }
            server.notion.inject(FakeFailure(status: 429, retryAfter: "7"))
            do {
                _ = try await Self.poll(notion, db, nil)
                Issue.record("a 429 must fail the poll")
            } catch let error as TaskFailedError {
                let provider = try #require(error.underlying as? ProviderAPIError)
                #expect(provider.status == 429)
                #expect(provider.retryAfter == .seconds(7))
            }
        }
    }

    @Test func configurationAndTriggersNameTheirVariablesAndKeys() throws {
        let catalog = try IntegrationCatalog.fromEnvironment([:])
        #expect(catalog.missingCredentials["notion"] == "NOTION_TOKEN")
        #expect(catalog.pollingSources.map(\.id) == ["notion.database"])
        #expect(throws: ConfigurationError.self) {
            try NotionConfiguration.fromEnvironment(["NOTION_TOKEN": "t", "NOTION_API_BASE": "ftp://example"])
        }
        let configured = try NotionConfiguration.fromEnvironment(["NOTION_TOKEN": "t", "NOTION_API_BASE": "http://127.0.0.1:1/"])
        #expect(configured.apiBase == "http://127.0.0.1:1")
        let declaration = try catalog.notion.trigger(NotionEvents.pageCreated, database: "db1", interval: .seconds(5))
            .declaration(jobId: "j", jobName: "j", version: "1")
        #expect(declaration.source?.channel == .polling)
        #expect(declaration.source?.key == "notion.db1")
        #expect(declaration.source?.params == ["databaseId": "db1", "intervalSeconds": 5])
        #expect(throws: TriggerError.self) {
            try catalog.notion.trigger(NotionEvents.pageCreated, database: "").declaration(jobId: "j", jobName: "j", version: "1")
        }
    }
}
