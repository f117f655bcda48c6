import Foundation
import TributaryKafka
import TestSupport
import Testing
import Tributary
import TributaryRunner

@Suite("CloudEvents from other systems", .serialized, .tags(.python), .notInFastRun)
struct InteropTests {
    /// `Tests/Interop/` in this package.
    static let interop = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Interop")

    /// Fails with the install command when Python or a package is missing.
    static func requirePython() throws {
        let check = Python.process(["-c", "import cloudevents, confluent_kafka"])
        check.standardError = FileHandle.nullDevice
        do { try launch(check) } catch {
            Issue.record("\(Python.name) is not available: install Python 3, then \(Python.installHint)")
            throw error
        }
        check.waitUntilExit()
        guard check.terminationStatus == 0 else {
            Issue.record("\(Python.name) lacks cloudevents or confluent-kafka: \(Python.installHint)")
            throw CancellationError()
        }
    }

    static func publish(_ bootstrap: String, topic: String, mode: String, id: String, total: Double) async throws {
        let process = Python.process([interop.appendingPathComponent("publish_cloudevent.py").path, bootstrap, topic, mode, id, "\(total)"])
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice  // one line per event sent: not for the test output
        try launch(process)
        let message = String(decoding: await waitForExit(process, reading: [errors])[0], as: UTF8.self)
        #expect(process.terminationStatus == 0, "the Python publisher failed: \(message)")
    }

    @Test("CloudEvents that Python's official SDK put on another system's topic (binary and structured mode) run a job")
    func pythonCloudEvents() async throws {
        try Self.requirePython()
        try await withTributaryCluster(extraTopics: ["shop.orders"]) { cluster, topics in
            let sink = Sink<String>()
            let spec = EventSpecification<Shop.Order>(name: "order.placed", title: "Order placed", source: "python.shop")
            let job = Job(
                id: "python-orders", name: "Orders from Python", version: "1",
                trigger: Trigger(event: spec, filter: ["total": [["$gt": 10]]])
            ) { order, _, ctx in
                sink.append("\(order.id) \(order.total) \(ctx.event.source)")
            }
            let runner = try RunningRunner(cluster.configuration, extraTopics: ["shop.orders"], jobs: [RunnerJob(job)])
            try await runner.waitUntilAssigned(8)
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            try await Self.publish(cluster.bootstrapServers, topic: "shop.orders", mode: "binary", id: "py-1", total: 42.5)
            try await Self.publish(cluster.bootstrapServers, topic: "shop.orders", mode: "structured", id: "py-2", total: 99)
            try await Self.publish(cluster.bootstrapServers, topic: topics.events.name, mode: "binary", id: "py-3", total: 11)
            try await Self.publish(cluster.bootstrapServers, topic: "shop.orders", mode: "binary", id: "py-small", total: 1)
            try await eventually("the three matching Python events ran") { sink.all.count == 3 }
            #expect(Set(sink.all) == ["py-1 42.5 python.shop", "py-2 99.0 python.shop", "py-3 11.0 python.shop"])
            try await eventually("their runs are recorded") { runs.runs.filter { $0.status == .succeeded }.count == 3 }
            #expect(runs.runs.allSatisfy { $0.source == "python.shop" && $0.eventName == "order.placed" })
            await runs.close()
            try await runner.stop()
        }
    }
}
