import ExampleJobs
import Foundation
import Testing
import Tributary
import TributaryKafka
import TributaryRunner

/// The durable-execution walk-through of the README with the built `tributary` tool: `send
/// order.placed`, `runs` showing the wait, `send order.shipped`, `runs cancel`.
@Suite("The tool with waiting runs", .serialized)
struct WaitToolTests {
    static func tool(
        _ cluster: EmbeddedKafkaCluster, _ arguments: [String]
    ) async throws -> (status: Int32, output: [String], errors: [String]) {
        var environment = ProcessInfo.processInfo.environment
        environment["KAFKA_BROKERS"] = cluster.bootstrapServers
        environment["TRIBUTARY_TOPIC_PREFIX"] = "t"
        let child = try ChildProcess(productURL("tributary"), arguments, environment: environment)
        try await eventually("tributary \(arguments.joined(separator: " ")) exits", timeout: .seconds(60)) { !child.isRunning }
        try? await eventually("its output is read", timeout: .seconds(2)) { !(child.lines + child.errorLines).isEmpty }
        return (child.exitCode, child.lines, child.errorLines)
    }

    @Test func sendShowWaitShipAndCancel() async throws {
        try await withTributaryCluster { cluster, topics in
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let runner = try RunningRunner(cluster.configuration, jobs: ExampleJobs.all.filter { $0.id == "order-fulfilment" })
            try await runner.waitUntilAssigned(4)

            let placed = try await Self.tool(cluster, ["send", "order.placed"])
            #expect(placed.status == 0, "\(placed.errors)")
            try await eventually("the order waits") { runs.runs.contains { $0.status == .waiting } }
            let listed = try await Self.tool(cluster, ["runs", "--status", "waiting"])
            #expect(listed.status == 0, "\(listed.errors)")
            #expect(listed.output.contains { $0.contains("order-fulfilment") && $0.contains("waiting") && $0.contains("shipped: until") })

            let shipped = try await Self.tool(cluster, ["send", "order.shipped"])
            #expect(shipped.status == 0, "\(shipped.errors)")
            try await eventually("the order shipped") {
                runs.runs.contains { $0.status == .succeeded && $0.logs.contains { $0.message == "order shipped" } }
            }

            // Another order (the examples share ord_1001, whose shipment the lookback would find).
            let payload = FileManager.default.temporaryDirectory.appendingPathComponent("order-\(UUID().uuidString).json")
            try Data(#"{"orderId":"ord_2","total":1}"#.utf8).write(to: payload)
            defer { try? FileManager.default.removeItem(at: payload) }
            let again = try await Self.tool(cluster, ["send", "order.placed", "--id", "second", "--payload", payload.path])
            #expect(again.status == 0, "\(again.errors)")
            try await eventually("the second order waits") { runs.runs.contains { $0.eventId == "second" && $0.status == .waiting } }
            let run = try #require(runs.runs.last { $0.eventId == "second" })
            let cancel = try await Self.tool(cluster, ["runs", "cancel", run.runId, "--reason", "customer asked"])
            #expect(cancel.status == 0, "\(cancel.errors)")
            #expect(cancel.output.first?.hasPrefix("cancelled \(run.runId): cancelled by ") == true, "\(cancel.output)")
            #expect(cancel.output.first?.hasSuffix("(tributary runs cancel): customer asked") == true, "\(cancel.output)")
            let twice = try await Self.tool(cluster, ["runs", "cancel", run.runId])
            #expect(twice.output == ["\(run.runId) is already cancelled; nothing to cancel"], "\(twice)")
            let unknown = try await Self.tool(cluster, ["runs", "cancel", "run_nope"])
            #expect(unknown.status != 0)
            #expect(unknown.errors.joined().contains("no run run_nope"), "\(unknown.errors)")
            // Both cancellations are on the audit trail, the one that changed nothing as refused.
            let audit = try await Self.tool(cluster, ["audit", "--json", "--action", "cancel"])
            let entries = audit.output.compactMap { try? AuditRecord(record: WireRecord(key: nil, value: Array($0.utf8))) }
            #expect(entries.map(\.outcome) == [.ok, .refused], "\(audit.output) \(audit.errors)")
            #expect(entries.allSatisfy { $0.target == run.runId } && entries.first?.details?["reason"] == "customer asked")
            try await runner.stop()
            await runs.close()
        }
    }
}
