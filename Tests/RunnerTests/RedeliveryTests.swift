import Foundation
import TributaryKafka
import Testing
import Tributary
import TributaryRunner

@Suite("Redelivered events", .serialized)
struct RedeliveryTests {
    @Test("an event delivered again (same id, or the whole topic again to a new group) does not rerun a finished run")
    func finishedRunsDoNotRerun() async throws {
        try await withTributaryCluster { cluster, topics in
            let sink = Sink<String>()
            let job = Job(id: "count", name: "Count", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, _, _ in
                sink.append(order.id)
            }
            let producer = try KafkaProducer(configuration: cluster.configuration)
            func send(_ id: String) async throws {
                try await producer.send(
                    KafkaProducerMessage(
                        topic: topics.events.name, partition: 1,
                        record: CloudEvent.encode(Shop.order(id, total: 1))))
            }
            let first = try RunningRunner(cluster.configuration, group: "first", jobs: [RunnerJob(job)])
            try await first.waitUntilAssigned(4)
            try await send("e1")
            try await eventually("e1 ran") { sink.count("e1") == 1 }
            try await send("e1")  // the provider delivered it again
            try await send("e2")
            try await eventually("e2 ran") { sink.count("e2") == 1 }
            #expect(sink.count("e1") == 1, "a redelivered event ran its finished run again")
            try await first.stop()

            // A new group reads every event again from the start: the runs topic says they finished.
            let second = try RunningRunner(cluster.configuration, group: "second", jobs: [RunnerJob(job)])
            try await second.waitUntilAssigned(4)
            try await send("e3")
            try await eventually("e3 ran in the second runner") { sink.count("e3") == 1 }
            #expect(sink.count("e1") == 1)
            #expect(sink.count("e2") == 1)
            var text: [UInt8] = []
            second.service.metrics.registry.emit(into: &text)
            let metrics = String(decoding: text, as: UTF8.self)
            #expect(metrics.contains(#"tributary_runner_runs_total{job="count",outcome="skipped"} 3"#), "\(metrics)")
            try await second.stop()
            await producer.shutdown()
        }
    }

    @Test("the same event delivered twice back to back runs once (the copy waits behind the first run, then skips)")
    func backToBackDuplicateRunsOnce() async throws {
        try await withTributaryCluster { cluster, topics in
            let sink = Sink<String>()
            let job = Job(id: "slow-count", name: "Slow count", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, _, _ in
                sink.append(order.id)
                try await Task.sleep(for: .milliseconds(200))  // still running when the copy arrives
            }
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job)])
            try await runner.waitUntilAssigned(4)
            let runs = try TopicCollector(cluster.configuration, topic: topics.runs.name)
            let producer = try KafkaProducer(configuration: cluster.configuration)
            let copy = KafkaProducerMessage(topic: topics.events.name, partition: 2, record: CloudEvent.encode(Shop.order("d1", total: 1)))
            _ = try await producer.sendAll([copy, copy])
            let marker = KafkaProducerMessage(
                topic: topics.events.name, partition: 2, record: CloudEvent.encode(Shop.order("d2", total: 1)))
            try await producer.send(marker)
            try await eventually("the event after the copies ran") {
                runs.runs.contains { $0.eventId == "d2" && $0.status == .succeeded }
            }
            #expect(sink.count("d1") == 1, "the duplicate ran again")
            // One start at most (the final record may have replaced it in the runner's queue), one success.
            #expect(runs.runs.filter { $0.eventId == "d1" && $0.status == .started }.count <= 1)
            #expect(runs.runs.filter { $0.eventId == "d1" && $0.status == .succeeded }.count == 1)
            await runs.close()
            await producer.shutdown()
            try await runner.stop()
        }
    }
}
