import Foundation
import Testing
import Tributary
import TributaryKafka
@testable import TributaryRunner

/// The run record writer: records in order, and a run's started record left out when a later record of
/// the run reaches the queue before a batch takes it.
@Suite("Record writer")
struct RecordWriterTests {
    /// A run record of `run` in `status`, as the runner writes it.
    static func message(_ run: String, _ status: RunRecord.Status, topic: String) throws -> KafkaProducerMessage {
        var record = RunRecord(
            runId: "run_\(run)", jobId: "job", jobVersion: "1", eventKey: "test/\(run)", eventId: run, eventName: "tick",
            source: "test", status: status, attempt: 1, startedAt: Date(timeIntervalSince1970: 1_700_000_000))
        if status.isFinal { record.finishedAt = record.startedAt }
        return KafkaProducerMessage(topic: topic, partition: 0, record: try record.record())
    }

    static func slot(_ run: String) -> RecordWriter.RunSlot {
        RecordWriter.RunSlot(partition: 0, key: RunRecord.key(eventKey: "test/\(run)", jobId: "job"))
    }

    @Test("a started record still queued when its run's final record comes is not written; the others are, in order")
    func startedReplacedByFinal() async throws {
        try await withTributaryCluster { cluster, topics in
            let producer = try KafkaProducer(configuration: cluster.configuration)
            let writer = RecordWriter(producer: producer, logger: TestLogging.logger("test.writer"))
            let topic = topics.runs.name
            let encoded = Sink<String>()
            // Queued before the writer runs, so one batch takes them all.
            for run in ["a", "b"] {
                writer.enqueueStarted(Self.slot(run)) {
                    encoded.append(run)
                    return try Self.message(run, .started, topic: topic)
                }
            }
            let durable = Sink<String>()
            writer.enqueue(try Self.message("a", .succeeded, topic: topic), replacing: Self.slot("a")) { result in
                if (try? result.get()) != nil { durable.append("a") }
            }
            let runs = try TopicCollector(cluster.configuration, topic: topic)
            let running = Task { await writer.run() }
            try await eventually("the final record is durable") { durable.all == ["a"] }
            try await eventually("two records on <p>.runs") { runs.runs.count == 2 }
            #expect(runs.runs.map { "\($0.eventId) \($0.status.rawValue)" } == ["b started", "a succeeded"])
            #expect(encoded.all == ["b"], "the replaced started record was never encoded")
            #expect(writer.replacedStartedRecords == 1)

            // A started record a batch has taken stays: the final record comes after it.
            let written = Sink<String>()
            writer.enqueueStarted(Self.slot("c")) { try Self.message("c", .started, topic: topic) }
            try await writer.write(try Self.message("x", .started, topic: topic))  // after c's started record
            writer.enqueue(try Self.message("c", .succeeded, topic: topic), replacing: Self.slot("c")) { result in
                if (try? result.get()) != nil { written.append("c") }
            }
            try await eventually("c's final record is durable") { written.all == ["c"] }
            try await eventually("five records on <p>.runs") { runs.runs.count == 5 }
            #expect(
                runs.runs.dropFirst(2).map { "\($0.eventId) \($0.status.rawValue)" } == ["c started", "x started", "c succeeded"])
            #expect(writer.replacedStartedRecords == 1)

            writer.stop()
            await running.value
            await runs.close()
            await producer.shutdown()
        }
    }

    @Test("a started record that cannot be encoded is left out and logged; the records around it are written")
    func startedEncodingFails() async throws {
        struct Unencodable: Error {}
        try await withTributaryCluster { cluster, topics in
            let producer = try KafkaProducer(configuration: cluster.configuration)
            let writer = RecordWriter(producer: producer, logger: TestLogging.logger("test.writer"))
            let topic = topics.runs.name
            writer.enqueueStarted(Self.slot("a")) { throw Unencodable() }
            let running = Task { await writer.run() }
            try await writer.write(try Self.message("b", .succeeded, topic: topic))
            let runs = try TopicCollector(cluster.configuration, topic: topic)
            try await eventually("b's record on <p>.runs") { runs.runs.count == 1 }
            #expect(runs.runs.map(\.eventId) == ["b"])
            writer.stop()
            await running.value
            await runs.close()
            await producer.shutdown()
        }
    }

    @Test("a stopped writer takes no started record, and fails later records at once")
    func stopped() async throws {
        try await withTributaryCluster { cluster, topics in
            let producer = try KafkaProducer(configuration: cluster.configuration)
            let writer = RecordWriter(producer: producer, logger: TestLogging.logger("test.writer"))
            writer.stop()
            await writer.run()
            let encoded = Sink<String>()
            writer.enqueueStarted(Self.slot("a")) {
                encoded.append("a")
                return try Self.message("a", .started, topic: topics.runs.name)
            }
            await #expect(throws: KafkaError.self) { try await writer.write(try Self.message("a", .succeeded, topic: topics.runs.name)) }
            #expect(encoded.all.isEmpty)
            await producer.shutdown()
        }
    }
}
