import Foundation
import TributaryKafka
import ServiceSupport
import Synchronization
import Testing
import Tributary
import TributaryRunner

@Suite("Replaying dead-lettered runs", .serialized)
struct ReplayTests {
    @Test("a replayed dead letter runs its failed job again as a new run; the job that succeeded does not rerun")
    func replayRunsOnlyTheFailedJob() async throws {
        try await withTributaryCluster { cluster, topics in
            let sink = Sink<String>()
            let fixed = Mutex(false)
            let fragile = Job(id: "fragile", name: "Fragile", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, _, _ in
                sink.append("fragile \(order.id)")
                if !fixed.withLock({ $0 }) { throw Boom() }
            }
            let steady = Job(id: "steady", name: "Steady", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, _, _ in
                sink.append("steady \(order.id)")
            }
            let once = RetryOptions(limit: 1, factor: 2, minTimeout: .milliseconds(10), randomize: false)
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(fragile, retry: once), RunnerJob(steady)])
            try await runner.waitUntilAssigned(4)
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            try await publisher.send(Shop.order("r1", total: 9))

            let letters = try await Self.waitForDeadLetters(cluster.configuration, topics.deadLetters.name, count: 1)
            #expect(letters[0].jobId == "fragile")
            #expect(sink.count("steady r1") == 1)

            // The bug is fixed; the operator replays the dead letter.
            fixed.withLock { $0 = true }
            let record = try Replay.record(for: letters[0])
            #expect(record.headerString(Replay.jobHeader) == "fragile")
            #expect(record.headerString(Replay.originalHeader) == "test.shop/r1")
            let producer = try KafkaProducer(configuration: cluster.configuration)
            try await producer.send(KafkaProducerMessage(topic: topics.events.name, record: record))
            await producer.shutdown()

            try await eventually("the replayed run succeeded") {
                runs.runs.contains { $0.jobId == "fragile" && $0.status == .succeeded && $0.eventId.hasPrefix("r1.replay-") }
            }
            #expect(sink.count("fragile r1") == 2, "the failed job ran once more")
            #expect(sink.count("steady r1") == 1, "the job that had succeeded did not run again")
            #expect(!runs.runs.contains { $0.jobId == "steady" && $0.eventId.hasPrefix("r1.replay-") })

            // A dead letter that is not an event cannot be replayed, and says why.
            let junk = DLQRecord(original: WireRecord(key: Array("junk".utf8), value: Array("hello".utf8)), reason: "not a CloudEvent")
            #expect(throws: Replay.Refusal.self) { try Replay.record(for: junk) }
            await runs.close()
            try await runner.stop()
        }
    }

    static func waitForDeadLetters(_ configuration: KafkaConfiguration, _ topic: String, count: Int) async throws -> [DLQRecord] {
        var letters: [DLQRecord] = []
        try await eventually("\(count) dead letter(s)") {
            letters = try await Replay.deadLetters(configuration: configuration, topic: topic)
            return letters.count >= count
        }
        return letters
    }
}
