import Foundation
import ServiceSupport
import Testing
import Tributary
import TributaryKafka
import TributaryRunner

/// `tributary erase --event ID` as a user runs it (the built executable) against the embedded broker:
/// the latest run records of the event hold none of its payload afterwards, the runner's restore still
/// takes the runs as finished, other events' runs are untouched, and the erasure is audited.
@Suite(.serialized) struct EraseToolTests {
    static let personal = "ana.customer@example.com"

    func tool(_ h: RegistrarHarness, _ arguments: [String]) async throws -> (status: Int32, output: [String], errors: [String]) {
        var environment = ProcessInfo.processInfo.environment
        environment["KAFKA_BROKERS"] = h.cluster.bootstrapServers
        environment["TRIBUTARY_TOPIC_PREFIX"] = RegistrarHarness.prefix
        environment["TRIBUTARY_USER"] = "dpo"
        let child = try ChildProcess(productURL("tributary"), arguments, environment: environment)
        try await eventually("tributary \(arguments.joined(separator: " ")) exits", timeout: .seconds(60)) { !child.isRunning }
        child.waitUntilExit()
        return (child.exitCode, child.lines, child.errorLines)
    }

    static func run(event: String, job: String, status: RunRecord.Status) -> RunRecord {
        var run = RunRecord(
            runId: "run_\(event)_\(job)", jobId: job, jobVersion: "1", eventKey: "shop/\(event)", eventId: event,
            eventName: "order.placed", source: "shop", status: status, attempt: 1,
            logs: [RunLogLine(time: Date(), level: "info", message: "mailing \(personal)")],
            tasks: [
                TaskRecord(
                    runId: "run_\(event)_\(job)", key: "mail", status: .completed, output: ["to": .string(personal)], startedAt: Date())
            ],
            startedAt: Date(), finishedAt: status.isFinal ? Date() : nil)
        run.event = EventRecord(id: event, name: "order.placed", source: "shop", payload: ["email": .string(personal)])
        return run
    }

    /// Writes run records as a runner does: on partition 1 of `<p>.runs`, with their headers.
    func write(_ h: RegistrarHarness, _ runs: [RunRecord]) async throws {
        for run in runs { try await h.send(KafkaProducerMessage(topic: h.topics.runs.name, partition: 1, record: try run.record())) }
    }

    /// The latest record of each key on `<p>.runs`.
    func latest(_ h: RegistrarHarness) async throws -> [String: KafkaMessage] {
        var latest: [String: KafkaMessage] = [:]
        for message in try await h.records(h.topics.runs.name) { latest[message.keyString ?? ""] = message }
        return latest
    }

    @Test func eraseLeavesNoPayloadOnTheRunsLatestValuesAndIsAudited() async throws {
        try await RegistrarHarness.with { h in
            // Two jobs ran on evt_erase (each wrote started, then its final record); another event ran too.
            try await write(
                h,
                [
                    Self.run(event: "evt_erase", job: "mailer", status: .started),
                    Self.run(event: "evt_erase", job: "mailer", status: .succeeded),
                    Self.run(event: "evt_erase", job: "billing", status: .started),
                    Self.run(event: "evt_erase", job: "billing", status: .deadLettered),
                    Self.run(event: "evt_other", job: "mailer", status: .succeeded),
                ])
            let erased = try await tool(h, ["erase", "--event", "evt_erase"])
            #expect(erased.status == 0, "\(erased.errors)")
            #expect(erased.output == ["erased the payload and logs of 2 run records of shop/evt_erase"], "\(erased.output)")

            let latest = try await latest(h)
            for key in ["shop/evt_erase/mailer", "shop/evt_erase/billing"] {
                let message = try #require(latest[key])
                #expect(message.partition == 1, "an erased record left its run's partition")
                let text = String(decoding: message.value ?? [], as: UTF8.self)
                #expect(!text.contains(Self.personal), "\(key): \(text)")
                // The runner's restore still takes the run as finished: a redelivery runs nothing again.
                var fold = RunHistoryFold(jobId: key.hasSuffix("mailer") ? "mailer" : "billing", window: .seconds(3600))
                fold.apply(
                    key: Array(key.utf8), value: message.value, headers: message.headers.map { ($0.name, $0.value ?? []) }, now: Date())
                #expect(fold.unreadable == 0 && fold.finishedCount == 1 && fold.unfinishedCount == 0, "\(key)")
            }
            let other = String(decoding: latest["shop/evt_other/mailer"]?.value ?? [], as: UTF8.self)
            #expect(other.contains(Self.personal), "another event's run was erased")

            // Audited, by who, with the event's key; the payload is not in the audit entry.
            let audit = try await h.records(h.topics.audit.name)
            let entries = try audit.map { try AuditRecord(record: WireRecord($0)) }
            #expect(entries.map(\.action) == ["erase"] && entries.first?.outcome == .ok)
            #expect(entries.first?.target == "shop/evt_erase" && entries.first?.actor.hasPrefix("dpo@") == true)
            #expect(!audit.contains { String(decoding: $0.value ?? [], as: UTF8.self).contains(Self.personal) })

            // Again: nothing more to erase, said so; an unknown event is an error.
            let again = try await tool(h, ["erase", "--event", "evt_erase"])
            #expect(
                again.status == 0 && again.output.first?.contains("0 run records of shop/evt_erase (2 already erased)") == true,
                "\(again.output)")
            let unknown = try await tool(h, ["erase", "--event", "evt_nobody"])
            #expect(unknown.status != 0 && unknown.errors.joined().contains("no run of event evt_nobody"), "\(unknown.errors)")
        }
    }

    @Test func anEventWithAnUnfinishedRunIsNotErasedAndTheRefusalIsAudited() async throws {
        try await RegistrarHarness.with { h in
            try await write(
                h,
                [
                    Self.run(event: "evt_busy", job: "mailer", status: .succeeded),
                    Self.run(event: "evt_busy", job: "billing", status: .waiting),
                ])
            let before = try await h.records(h.topics.runs.name).count
            let refused = try await tool(h, ["erase", "--event", "evt_busy"])
            #expect(refused.status != 0)
            #expect(refused.errors.joined().contains("shop/evt_busy/billing (waiting)"), "\(refused.errors)")
            #expect(refused.errors.joined().contains("Nothing was erased"))
            #expect(try await h.records(h.topics.runs.name).count == before)
            let entries = try await h.records(h.topics.audit.name).map { try AuditRecord(record: WireRecord($0)) }
            #expect(entries.map(\.outcome) == [.refused])
        }
    }
}
