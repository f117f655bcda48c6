import FakeProviders
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization
import Testing
import Tributary
import TributaryIntegrations
import TributaryRegistrar
import TributaryRunner

/// Polled events through a runner in this process: one run per page and per edit, however often they are polled.
@Suite(.serialized) struct PollingRunTests {
    @Test func oneRunPerPageAndEditEvenWhenARewoundCursorRepublishesThem() async throws {
        try await RegistrarHarness.with { h in
            let db = h.fakes.notion.createDatabase()
            let key = "notion.\(db)"
            let runs = Mutex<[String]>([])
            let notion = NotionIntegration(configuration: NotionConfiguration(token: ""))
            let onCreated = Job(
                id: "on-page-created", name: "On page created", version: "1.0.0",
                trigger: notion.trigger(NotionEvents.pageCreated, database: db, interval: .milliseconds(200))
            ) { page, _, _ in
                runs.withLock { $0.append("created \(page.id)") }
            }
            let onUpdated = Job(
                id: "on-page-updated", name: "On page updated", version: "1.0.0",
                trigger: notion.trigger(NotionEvents.pageUpdated, database: db, interval: .milliseconds(200))
            ) { page, _, _ in
                runs.withLock { $0.append("updated \(page.id) \(page.lastEditedTime)") }
            }
            let runner = try TestRunner(h, jobs: [RunnerJob(onCreated), RunnerJob(onUpdated)])
            let first = try await h.start(h.configuration(), catalog: h.notionCatalog(), name: "first")
            try await h.waitForPolls(key, atLeast: 1)
            let baseline = try #require(try await h.state(key))

            let page = h.fakes.notion.addPage(database: db, title: "new")
            try await eventually("the page.created run") { runs.withLock { $0 }.contains("created \(page.id)") }
            let edited = try #require(h.fakes.notion.edit(page: page.id, title: "renamed"))
            let update = "updated \(page.id) \(FakeNotionAPI.format(edited.lastEditedTime))"
            try await eventually("the page.updated run") { runs.withLock { $0 }.contains(update) }
            await first.stop()

            // As if the registrar had crashed after publishing but before storing its cursor: the next
            // leader polls from the old cursor and publishes both events again.
            try await h.write(baseline)
            let second = try await h.start(h.configuration(), catalog: h.notionCatalog(), name: "second")
            try await eventually("both events are published again") {
                try await h.polledEvents(key).filter { $0.id.hasPrefix(page.id) }.count == 4
            }
            try await eventually("the runner skipped both repeats") {
                runner.count(job: "on-page-created", outcome: "skipped") == 1
                    && runner.count(job: "on-page-updated", outcome: "skipped") == 1
            }
            #expect(runs.withLock { $0 } == ["created \(page.id)", update])
            #expect(runner.count(job: "on-page-created", outcome: "succeeded") == 1)
            #expect(runner.count(job: "on-page-updated", outcome: "succeeded") == 1)
            await second.stop()
            try await runner.stop()
        }
    }
}

/// A runner in this process on the harness's cluster; it declares its jobs' triggers itself.
final class TestRunner: Sendable {
    let service: RunnerService
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    init(_ h: RegistrarHarness, jobs: [RunnerJob]) throws {
        var logger = Logger(label: "test.runner")
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG"] == nil ? .critical : .debug
        let configuration = RunnerConfiguration(
            kafka: h.cluster.configuration, topicPrefix: RegistrarHarness.prefix, adminPort: 0,
            drainTimeout: .seconds(5), sessionTimeout: .seconds(6), printRunLogs: false)
        service = try RunnerService(configuration: configuration, jobs: jobs, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: logger))
        self.group = group
        task = Task { try await group.run() }
    }

    /// `tributary_runner_runs_total` of a job and outcome.
    func count(job: String, outcome: String) -> Int {
        var bytes: [UInt8] = []
        service.metrics.registry.emit(into: &bytes)
        let prefix = #"tributary_runner_runs_total{job="\#(job)",outcome="\#(outcome)"} "#
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix(prefix) {
            return Int(Double(line.dropFirst(prefix.count)) ?? 0)
        }
        return 0
    }

    /// Shuts down gracefully and waits until the runner stopped.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}
