import Foundation
import TributaryKafka
import Testing

@Suite("Admin and catch-up reading")
struct AdminAndViewTests {
    @Test("creating a topic that exists succeeds and keeps its partitions")
    func createExisting() async throws {
        try await withCluster(topic: "existing", partitions: 6) { _, configuration in
            let admin = try KafkaAdmin(configuration: configuration)
            try await admin.createTopics([KafkaTopicSpecification(name: "existing", partitions: 2, configs: ["cleanup.policy": "compact"])])
            let described = try await admin.describeTopic("existing")
            #expect(described?.partitions == Array(0..<6))
            #expect(try await admin.describeTopic("never-created") == nil)
            #expect(try await admin.listTopics().map(\.name).contains("existing"))
        }
    }

    @Test("a compacted-topic view holds the latest value per key and says when it caught up")
    func tableView() async throws {
        try await withCluster(topic: "table", partitions: 3) { _, configuration in
            let producer = try KafkaProducer(configuration: configuration)
            for round in 0..<5 {
                for key in ["a", "b", "c", "d"] {
                    try await producer.send(KafkaProducerMessage(topic: "table", key: key, value: Array("\(key)\(round)".utf8)))
                }
            }
            try await producer.send(KafkaProducerMessage(topic: "table", key: "d", value: nil))  // tombstone

            let view = try KafkaTableView(configuration: configuration, topic: "table")
            let running = Task { await view.run() }
            await view.waitUntilCaughtUp()
            #expect(view.isCaughtUp)
            #expect(view.snapshot.mapValues { String(decoding: $0, as: UTF8.self) } == ["a": "a4", "b": "b4", "c": "c4"])

            // It keeps following after catching up.
            try await producer.send(KafkaProducerMessage(topic: "table", key: "a", value: Array("a5".utf8)))
            try await eventually("the view sees a new value") { view["a"] == Array("a5".utf8) }
            await view.stop()
            await running.value
            await producer.shutdown()
        }
    }

    @Test("a reader of an empty topic is caught up at once")
    func emptyTopicCaughtUp() async throws {
        try await withCluster(topic: "empty", partitions: 2) { _, configuration in
            let reader = try KafkaTopicReader(configuration: configuration, topic: "empty")
            var iterator = reader.makeAsyncIterator()
            #expect(await iterator.next() == .caughtUp)
            await reader.close()
        }
    }
}
