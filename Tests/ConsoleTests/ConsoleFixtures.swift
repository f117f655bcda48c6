import Foundation
import ServiceSupport
import Tributary
import TributaryConsole
import TributaryKafka

@_exported import TestSupport

/// Records and files the console tests share.
enum ConsoleFixtures {
    static let topics = TributaryTopics(prefix: "ct", partitions: 4)
    static let projection = ConsoleProjection(topics: topics)

    /// A run record of `job` for event `event` in `status`, at `startedAt`.
    static func run(
        _ runId: String, job: String = "stripe-on-price", event: String = "evt_1", status: RunRecord.Status = .succeeded,
        attempt: Int = 1, startedAt: Date = Date(timeIntervalSince1970: 1_800_000_000), source: String = "stripe.com",
        logs: [String] = []
    ) -> RunRecord {
        var record = RunRecord(
            runId: runId, jobId: job, jobVersion: "1.0.0", eventKey: "\(source)/\(event)", eventId: event, eventName: "price.created",
            source: source, status: status, attempt: attempt,
            logs: logs.map { RunLogLine(time: startedAt, level: "info", message: $0, metadata: [:]) },
            startedAt: startedAt, finishedAt: status == .started ? nil : startedAt.addingTimeInterval(0.25))
        if status == .failed || status == .deadLettered { record.error = "boom" }
        return record
    }

    /// `record` as a message of `topic` at `partition`/`offset`.
    static func message(_ record: WireRecord, topic: String, partition: Int32 = 0, offset: Int64) -> KafkaMessage {
        KafkaMessage(
            topic: topic, partition: partition, offset: offset, key: record.key, value: record.value,
            headers: record.headers.map { KafkaHeader(name: $0.name, value: $0.value) })
    }

    /// The projected record of a run record message.
    static func projected(_ run: RunRecord, partition: Int32 = 0, offset: Int64) throws -> ProjectedRecord {
        let message = message(try run.record(), topic: topics.runs.name, partition: partition, offset: offset)
        return ProjectedRecord(change: projection.change(for: message), topic: message.topic, partition: partition, offset: offset)
    }

    /// A fresh database file in a folder of its own; `cleanup` removes the folder.
    static func databasePath() -> (path: String, cleanup: @Sendable () -> Void) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("console-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return (folder.appendingPathComponent("console.sqlite").path, { try? FileManager.default.removeItem(at: folder) })
    }
}
