import Foundation
import Kafka
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
                try await producer.send(KafkaProducerMessage(topic: topics.events.name, partition: 1,
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
}
