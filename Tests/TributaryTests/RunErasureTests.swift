import Foundation
import Testing
import Tributary

/// `RunErasure.plan` and `RunRecord.erasingPayload()`, as values: what an erasure writes, keeps and refuses.
@Suite struct RunErasureTests {
    static let t0 = Date(timeIntervalSince1970: 1_796_000_000)
    static let personal = "ana@example.com"

    static func run(_ status: RunRecord.Status, job: String) -> RunRecord {
        var run = RunRecord(
            runId: "run_\(job)", jobId: job, jobVersion: "1", eventKey: "shop/evt_9", eventId: "evt_9", eventName: "order.placed",
            source: "shop", status: status, attempt: 2,
            logs: [RunLogLine(time: t0, level: "info", message: "mailing \(personal)")],
            tasks: [
                TaskRecord(runId: "run_\(job)", key: "mail", status: .completed, output: ["to": .string(personal)], startedAt: t0),
                TaskRecord(runId: "run_\(job)", key: "charge", status: .failed, error: "card of \(personal) declined", startedAt: t0),
            ],
            properties: [RunProperty(label: "Customer", text: personal)], error: "failed for \(personal)", startedAt: t0,
            finishedAt: t0.addingTimeInterval(1))
        run.event = EventRecord(
            id: "evt_9", name: "order.placed", source: "shop", timestamp: t0, payload: ["email": .string(personal)],
            context: ["customer": .string(personal)])
        return run
    }

    static func latest(_ runs: [RunRecord]) throws -> [(key: String, partition: Int32, value: [UInt8], headers: [WireHeader])] {
        try runs.map { run in
            let record = try run.record()
            return (record.keyString!, 3, record.value!, record.headers)
        }
    }

    @Test func finishedRunsAreWrittenAgainWithoutWhatCameFromTheEvent() throws {
        let runs = [Self.run(.succeeded, job: "mailer"), Self.run(.deadLettered, job: "billing")]
        let plan = try RunErasure.plan(latest: try Self.latest(runs), at: Self.t0)
        #expect(plan.unfinished.isEmpty && plan.redacted.map(\.key) == ["shop/evt_9/billing", "shop/evt_9/mailer"])
        for redacted in plan.redacted {
            #expect(redacted.partition == 3)
            let text = String(decoding: redacted.record.value ?? [], as: UTF8.self)
            #expect(!text.contains(Self.personal), "\(text)")
            let run = try RunRecord(record: redacted.record)
            let original = runs.first { RunRecord.key(eventKey: $0.eventKey, jobId: $0.jobId) == redacted.key }!
            // What a runner needs stays: status, attempt, timings, task keys and statuses, the event's identity.
            #expect(run.status == original.status && run.attempt == 2 && run.finishedAt == original.finishedAt)
            #expect(run.tasks.map(\.key) == ["mail", "charge"] && run.tasks.map(\.status) == [.completed, .failed])
            #expect(run.event?.id == "evt_9" && run.event?.payload == .null)
            #expect(run.logs.isEmpty && run.properties.isEmpty && run.error == "erased")
            // The runner's headers stay (the status), and the erasure is marked.
            let headers = redacted.record.headers.map(\.name)
            #expect(headers.contains(RunRecord.statusHeader) && headers.last == RunErasure.erasedHeader)
        }
        // Erasing again finds them erased and writes nothing.
        let again = try RunErasure.plan(
            latest: plan.redacted.map { ($0.key, $0.partition, $0.record.value!, $0.record.headers) }, at: Self.t0)
        #expect(again.redacted.isEmpty && again.alreadyErased.count == 2)
    }

    @Test func anUnfinishedRunRefusesTheWholeErasure() throws {
        let plan = try RunErasure.plan(
            latest: try Self.latest([Self.run(.succeeded, job: "mailer"), Self.run(.waiting, job: "billing")]), at: Self.t0)
        #expect(plan.unfinished == ["shop/evt_9/billing (waiting)"])
        #expect(plan.redacted.isEmpty)
    }

    @Test func aRecordThatIsNotARunRecordIsAnError() {
        #expect(throws: WireFormatError.self) {
            try RunErasure.plan(latest: [("k", 0, Array("{}".utf8), [])], at: Self.t0)
        }
    }
}
