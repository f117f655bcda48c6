import ExampleJobs
import Foundation
import Testing
import Tributary
import TributaryKafka
import TributaryRunner

/// The SDK documentation's examples of waits, events and cancellation compile (they are in
/// `DocExamples.swift`), and the reference runner's `order-fulfilment` job does what the README says.
@Suite("Documented durable execution", .serialized)
struct DocExamplesTests {
    static func text(_ relative: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }

    static func squeezed(_ text: String) -> String { String(text.filter { !$0.isWhitespace }) }

    /// The files that compile the documentation's examples.
    static let compiledExamples = [
        "Tests/RunnerTests/DocExamples.swift", "Tests/RunnerTests/ReadmeExamples.swift",
        "Tests/TributaryTests/ScheduleDocExampleTests.swift", "Tests/IntegrationsTests/SDKDocExamples.swift",
    ]

    /// Every Swift block of README.md and docs/*.md, with whether it is marked `<!-- not compiled: … -->`.
    static func swiftBlocks() throws -> [(file: String, block: String, exempt: Bool)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.map { "docs/\($0)" }
        var blocks: [(String, String, Bool)] = []
        for file in ["README.md"] + docs.sorted() {
            let parts = try text(file).components(separatedBy: "```swift\n")
            for (before, part) in zip(parts, parts.dropFirst()) {
                let exempt = before.split(separator: "\n").last?.hasPrefix("<!-- not compiled:") == true
                blocks.append((file, part.components(separatedBy: "```").first ?? "", exempt))
            }
        }
        return blocks
    }

    @Test func everySwiftBlockOfTheReadmeAndTheDocsIsCompiled() throws {
        let compiled = try Self.compiledExamples.map { Self.squeezed(try Self.text($0)) }
        let blocks = try Self.swiftBlocks()
        #expect(blocks.count >= 19)
        #expect(blocks.filter(\.exempt).count == 2, "only the two signatures of docs/sdk.md are exempt")
        for (file, block, exempt) in blocks where !exempt {
            let wanted = Self.squeezed(block.replacingOccurrences(of: "@main ", with: ""))
            #expect(compiled.contains { $0.contains(wanted) }, "a Swift block of \(file) is compiled nowhere:\n\(block)")
        }
    }

    @Test(
        "order-fulfilment: order.placed waits for order.shipped with the same orderId and logs 'order shipped'; order.cancelled cancels it")
    func orderFulfilment() async throws {
        try await withTributaryCluster { cluster, topics in
            let jobs = ExampleJobs.all.filter { $0.id == "order-fulfilment" }
            #expect(jobs.count == 1)
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let runner = try RunningRunner(cluster.configuration, jobs: jobs)
            try await runner.waitUntilAssigned(4)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            let placed = try #require(ShopEvents.orderPlaced.examples.first)
            let shipped = try #require(ShopEvents.orderShipped.examples.first)
            try await publisher.send(ShopEvents.orderPlaced.event(from: placed))
            try await eventually("the order waits for its shipment") {
                runs.runs.contains { $0.jobId == "order-fulfilment" && $0.status == .waiting && $0.wait?.task == "shipped" }
            }
            try await publisher.send(ShopEvents.orderShipped.event(from: shipped))
            try await eventually("the order shipped", timeout: .seconds(30)) {
                runs.runs.contains { $0.status == .succeeded && $0.logs.contains { $0.message == "order shipped" } }
            }
            let done = try #require(runs.runs.last { $0.status == .succeeded })
            #expect(done.tasks.map(\.key) == ["reserve-stock", "shipped"])

            try await publisher.send(
                EventRecord(id: "o2", name: "order.placed", source: "shop.example", payload: ["orderId": "ord_2", "total": 1]))
            try await eventually("the second order waits") { runs.runs.contains { $0.eventId == "o2" && $0.status == .waiting } }
            try await publisher.send(
                EventRecord(id: "c2", name: "order.cancelled", source: "shop.example", payload: ["orderId": "ord_2"]))
            try await eventually("the second order is cancelled", timeout: .seconds(30)) {
                runs.runs.contains { $0.eventId == "o2" && $0.status == .cancelled && $0.reason == "cancelled by event order.cancelled c2" }
            }
            try await runner.stop()
            await runs.close()
            await publisher.producer.shutdown()
        }
    }
}
