import Foundation
import Testing
import Tributary
import TributaryConsole

/// The console against the embedded broker, beside a receiver and a runner: a signed webhook goes
/// through receiver and runner and shows on the console with its delivery; a restart resumes from
/// the stored offsets; a deleted database is rebuilt from the topics.
@Suite("console: live on the embedded broker", .serialized)
struct ConsoleLiveTests {
    @Test("a webhook through receiver and runner: its run, log line and delivery on the console; a forged one refused with its reason")
    func webhookToConsole() async throws {
        let harness = try ConsoleHarness()
        defer { harness.shutdown() }
        let sealer = try SecretSealer(base64Key: SecretSealer.generateKey())
        try await ConsoleSystem.writeStripeSource(harness, sealer: sealer)
        let system = try await ConsoleSystem.start(harness, sealer: sealer)
        let store = system.console.store

        #expect(try await system.postStripe(id: "evt_live_1") == 200)
        #expect(try await system.postStripe(id: "evt_forged", secret: "whsec_someoneelse") == 401)
        try await eventually("the run succeeded on the console") {
            try store.runs(RunFilter(eventId: "evt_live_1")).first?.status == "succeeded"
        }
        let summary = try #require(try store.runs(RunFilter(eventId: "evt_live_1")).first)
        #expect(summary.jobId == "stripe-on-price" && summary.source == "stripe.com")
        let detail = try #require(try store.run(summary.runId))
        #expect(detail.record.logs.contains { $0.message == "price created!" })
        try await eventually("both deliveries are recorded") { try store.deliveries().count == 2 }
        let deliveries = try store.deliveries().map(\.delivery)
        #expect(Set(deliveries.map(\.outcome)) == [.accepted, .badSignature])
        #expect(deliveries.first { $0.outcome == .accepted }?.eventIds == ["evt_live_1"])
        #expect(deliveries.first { $0.outcome == .badSignature }?.body == nil)
        let source = try #require(try store.sources().first { $0.source.key == "stripe.webhook" })
        #expect(source.source.hasSecret && source.lastDelivery != nil)
        #expect(try store.jobs().contains { $0.declaration.jobId == "stripe-on-price" && !$0.runners.isEmpty })
        try await system.stop()
    }

    @Test("a restart resumes from the stored offsets (nothing twice); a deleted database is rebuilt from the topics")
    func restartAndRebuild() async throws {
        let harness = try ConsoleHarness()
        defer { harness.shutdown() }
        let sealer = try SecretSealer(base64Key: SecretSealer.generateKey())
        try await ConsoleSystem.writeStripeSource(harness, sealer: sealer)
        let system = try await ConsoleSystem.start(harness, sealer: sealer)
        for index in 1...3 { #expect(try await system.postStripe(id: "evt_r\(index)") == 200) }
        try await eventually("three runs succeeded and three deliveries are recorded") {
            try system.console.store.runs(RunFilter(status: "succeeded")).count == 3 && system.console.store.deliveries().count == 3
        }
        try await system.stop()

        // The console alone again, on the same file: it resumes where it stopped.
        let resumedOffsets = try ConsoleStore(path: harness.databasePath).offsets()
        #expect(resumedOffsets[harness.topics.deliveries.name]?[0] == 3)
        let resumed = try await ConsoleSystem.start(harness, sealer: sealer, withReceiverAndRunner: false)
        #expect(try resumed.console.store.deliveries().count == 3, "a restart read no delivery twice")
        #expect(try resumed.console.store.runs(RunFilter()).count == 3)
        try await resumed.stop()

        // Deleting the file rebuilds the same rows from the topics' beginnings.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: harness.databasePath + suffix) }
        let rebuilt = try await ConsoleSystem.start(harness, sealer: sealer, withReceiverAndRunner: false)
        #expect(try rebuilt.console.store.runs(RunFilter(status: "succeeded")).count == 3)
        #expect(try rebuilt.console.store.deliveries().count == 3)
        #expect(try rebuilt.console.store.sources().map(\.source.key) == ["stripe.webhook"])
        try await rebuilt.stop()
    }
}
