import Foundation
import TributaryKafka
import Synchronization
import Testing
import Tributary
import TributaryRunner

struct Boom: Error, CustomStringConvertible {
    var description: String { "boom" }
}

@Suite("Retries and dead letters", .serialized)
struct RetryTests {
    static let quick = RetryOptions(limit: 3, factor: 2, minTimeout: .milliseconds(50), randomize: false)

    static func checkDeadLetter(_ letter: DLQRecord, sink: [String]) throws {
        #expect(letter.reason == "boom")
        #expect(letter.jobId == "failing")
        #expect(letter.attempts == 3)
        #expect(letter.runId == RunContext.runId(eventKey: "test.shop/x1", jobId: "failing"))
        let original = try CloudEvent.decode(letter.original)
        #expect(original.id == "x1", "the dead letter carries the original event")
        #expect(sink.filter { $0.hasPrefix("failing x1") } == ["failing x1 1", "failing x1 2", "failing x1 3"])
    }

    /// Each attempt's end, in order; an attempt's started record comes before it unless the writer
    /// still held it when the attempt ended (then the end replaced it).
    static func checkHistory(_ records: [RunRecord]) {
        #expect(
            records.filter { $0.status != .started }.map { "\($0.status.rawValue) \($0.attempt)" }
                == ["failed 1", "failed 2", "dead-lettered 3"])
        #expect(records.map(\.attempt) == records.map(\.attempt).sorted(), "attempts in order")
        for attempt in 1...3 {
            let statuses = records.filter { $0.attempt == attempt }.map(\.status)
            #expect(statuses.count == 1 || statuses.first == .started, "attempt \(attempt): \(statuses)")
        }
        #expect(records.last?.error == "boom")
        #expect(records.last?.finishedAt != nil)
    }

    static func checkMetrics(_ metrics: RunnerMetrics) {
        var text: [UInt8] = []
        metrics.registry.emit(into: &text)
        let emitted = String(decoding: text, as: UTF8.self)
        #expect(emitted.contains(#"tributary_runner_runs_total{job="failing",outcome="dead_lettered"} 1"#))
        #expect(emitted.contains(#"tributary_runner_runs_total{job="failing",outcome="retried"} 2"#))
        #expect(emitted.contains(#"tributary_runner_runs_total{job="flaky",outcome="succeeded"} 1"#))
    }

    @Test("a run that throws is retried by its policy, then failed, and its event goes to <p>.dlq with the reason")
    func retryThenDeadLetter() async throws {
        try await withTributaryCluster { cluster, topics in
            let sink = Sink<String>()
            let failing = Job(id: "failing", name: "Failing", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, _, ctx in
                sink.append("failing \(order.id) \(ctx.attempt)")
                throw Boom()
            }
            let flaky = Job(id: "flaky", name: "Flaky", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, _, ctx in
                sink.append("flaky \(order.id) \(ctx.attempt)")
                if ctx.attempt == 1 { throw Boom() }
            }
            let runner = try RunningRunner(
                cluster.configuration, jobs: [RunnerJob(failing, retry: Self.quick), RunnerJob(flaky, retry: Self.quick)])
            try await runner.waitUntilAssigned(4)
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let dlq = try TopicCollector(cluster.configuration, topic: topics.deadLetters.name)
            let publisher = try Publisher(cluster.configuration, topic: topics.events.name)
            try await publisher.send(Shop.order("x1", total: 5))

            try await eventually("the event is dead-lettered") { dlq.deadLetters.count == 1 }
            try Self.checkDeadLetter(dlq.deadLetters[0], sink: sink.all)
            try await eventually("the failing run's records up to its third attempt's end") {
                runs.runs.contains { $0.jobId == "failing" && $0.status == .deadLettered }
            }
            Self.checkHistory(runs.runs.filter { $0.jobId == "failing" })
            try await eventually("the flaky run succeeded on its second attempt") {
                runs.runs.contains { $0.jobId == "flaky" && $0.status == .succeeded && $0.attempt == 2 }
            }
            #expect(dlq.deadLetters.count == 1, "a run that succeeded on retry is not dead-lettered")
            Self.checkMetrics(runner.service.metrics)
            await runs.close()
            await dlq.close()
            try await runner.stop()
        }
    }

    @Test("a run waiting out a long retry pause stalls neither other partitions nor other jobs")
    func backoffDoesNotStall() async throws {
        try await withTributaryCluster { cluster, topics in
            let sink = Sink<String>()
            let slow = Job(id: "slow", name: "Slow", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, _, ctx in
                sink.append("slow \(order.id) \(ctx.attempt)")
                if order.id == "p0-first" && ctx.attempt == 1 { throw Boom() }
            }
            let other = Job(id: "other", name: "Other", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, _, _ in
                sink.append("other \(order.id)")
            }
            let long = RetryOptions(limit: 2, factor: 2, minTimeout: .seconds(60), maxTimeout: .seconds(60), randomize: false)
            let runner = try RunningRunner(
                cluster.configuration, jobs: [RunnerJob(slow, retry: long), RunnerJob(other)],
                drainTimeout: .seconds(1))
            try await runner.waitUntilAssigned(4)
            let producer = try KafkaProducer(configuration: cluster.configuration)
            for (id, partition) in [("p0-first", 0), ("p0-second", 0), ("p1", 1), ("p2", 2)] {
                try await producer.send(
                    KafkaProducerMessage(
                        topic: topics.events.name, partition: Int32(partition),
                        record: CloudEvent.encode(Shop.order(id, total: 1))))
            }
            try await eventually("other partitions and the other job went on", timeout: .seconds(10)) {
                sink.count("slow p1 1") == 1 && sink.count("slow p2 1") == 1 && sink.count("other p0-second") == 1
            }
            #expect(sink.count("slow p0-second 1") == 0, "the job's runs of a partition must stay in order")
            await producer.shutdown()
            try await runner.stop()
        }
    }
}
