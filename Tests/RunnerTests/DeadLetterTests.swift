import Foundation
import TributaryKafka
import Testing
import Tributary
import TributaryRunner

@Suite("Messages that are not events", .serialized)
struct DeadLetterTests {
    @Test("a message that is not a CloudEvent lands in <p>.dlq with the reason, and the partition goes on")
    func notACloudEvent() async throws {
        try await withTributaryCluster { cluster, topics in
            let sink = Sink<String>()
            let job = Job(id: "count", name: "Count", version: "1", trigger: Trigger(event: Shop.orderPlaced)) { order, _, _ in
                sink.append(order.id)
            }
            let runner = try RunningRunner(cluster.configuration, jobs: [RunnerJob(job)])
            try await runner.waitUntilAssigned(4)
            let dlq = try TopicCollector(cluster.configuration, topic: topics.deadLetters.name)
            let producer = try KafkaProducer(configuration: cluster.configuration)
            try await producer.send(
                KafkaProducerMessage(
                    topic: topics.events.name, partition: 2, key: "junk",
                    value: Array("hello".utf8), headers: [KafkaHeader(name: "x", string: "y")]))
            var missingType = CloudEvent.encode(Shop.order("no-type", total: 1))
            missingType.headers.removeAll { $0.name == "ce_type" }
            try await producer.send(KafkaProducerMessage(topic: topics.events.name, partition: 2, record: missingType))
            try await producer.send(
                KafkaProducerMessage(
                    topic: topics.events.name, partition: 2,
                    record: CloudEvent.encode(Shop.order("after", total: 1))))
            try await eventually("both messages are dead-lettered") { dlq.deadLetters.count == 2 }
            let junk = try #require(dlq.deadLetters.first { $0.original.keyString == "junk" })
            #expect(junk.original.value == Array("hello".utf8))
            #expect(junk.original.headers == [WireHeader("x", "y")])
            #expect(junk.reason.contains("not a CloudEvent"))
            #expect(junk.jobId == nil && junk.runId == nil)
            let untyped = try #require(dlq.deadLetters.first { $0.original.keyString == "test.shop/no-type" })
            #expect(untyped.reason == "missing ce_type header")
            try await eventually("the event after them ran") { sink.count("after") == 1 }
            await dlq.close()
            await producer.shutdown()
            try await runner.stop()
        }
    }
}
