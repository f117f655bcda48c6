import Foundation
import TributaryKafka
import Synchronization
import Testing

@Suite("Producer and consumer on the embedded cluster")
struct ProducerConsumerTests {
    @Test("records round-trip with keys, values, headers and explicit partitions")
    func roundTrip() async throws {
        try await withCluster { _, configuration in
            let producer = try KafkaProducer(configuration: configuration)
            var sent: [KafkaDeliveryReport] = []
            for index in 0..<8 {
                let report = try await producer.send(
                    KafkaProducerMessage(
                        topic: "test", partition: Int32(index % 4), key: "key-\(index)",
                        value: Array("value-\(index)".utf8),
                        headers: [KafkaHeader(name: "ce_id", string: "\(index)"), KafkaHeader(name: "empty", value: nil)]))
                #expect(report.partition == Int32(index % 4))
                sent.append(report)
            }
            // An empty value is not a tombstone; a nil value is.
            try await producer.send(KafkaProducerMessage(topic: "test", partition: 0, key: "empty", value: []))
            try await producer.send(KafkaProducerMessage(topic: "test", partition: 0, key: "tombstone", value: nil))
            await producer.shutdown()

            let consumer = try KafkaConsumer(
                configuration: configuration,
                consumerConfiguration: KafkaConsumerConfiguration(groupID: "round-trip", topics: ["test"]))
            var received: [String: KafkaMessage] = [:]
            for await message in consumer {
                received[message.keyString ?? ""] = message
                if received.count == 10 { break }
            }
            await consumer.close()
            for index in 0..<8 {
                let message = try #require(received["key-\(index)"])
                #expect(message.value == Array("value-\(index)".utf8))
                #expect(message.partition == Int32(index % 4))
                #expect(message.offset == sent[index].offset)
                #expect(message.headers.first(named: "ce_id")?.stringValue == "\(index)")
                #expect(message.headers.first(named: "empty") != nil)
                #expect(message.headers.first(named: "empty")?.value == nil)
                #expect(message.timestamp != nil)
            }
            #expect(received["empty"]?.value == [])
            #expect(received["tombstone"].map { $0.value == nil } == true)
        }
    }

    @Test("many concurrent sends are all acknowledged with distinct offsets")
    func concurrentSends() async throws {
        try await withCluster(partitions: 1) { _, configuration in
            let producer = try KafkaProducer(configuration: configuration)
            let messages = (0..<2000).map {
                KafkaProducerMessage(topic: "test", key: "k\($0)", value: Array(repeating: UInt8($0 % 256), count: 1024))
            }
            let reports = try await producer.sendAll(messages)
            #expect(Set(reports.map(\.offset)).count == 2000)
            #expect(reports.allSatisfy { $0.partition == 0 })
            await producer.shutdown()
        }
    }

    @Test("the assignment handler runs before records of the assigned partitions arrive")
    func assignmentBeforeRecords() async throws {
        try await withCluster { _, configuration in
            let producer = try KafkaProducer(configuration: configuration)
            _ = try await producer.sendAll((0..<20).map { KafkaProducerMessage(topic: "test", key: "k\($0)", value: [1]) })
            await producer.shutdown()

            let restored = Mutex<Set<KafkaTopicPartition>>([])
            let consumer = try KafkaConsumer(
                configuration: configuration,
                consumerConfiguration: KafkaConsumerConfiguration(groupID: "assign", topics: ["test"]),
                rebalanceHandler: KafkaRebalanceHandler(onAssign: { partitions in
                    try? await Task.sleep(for: .milliseconds(200))  // a slow restore
                    restored.withLock { $0.formUnion(partitions) }
                }))
            var count = 0
            for await message in consumer {
                #expect(restored.withLock { $0.contains(message.topicPartition) })
                count += 1
                if count == 20 { break }
            }
            #expect(consumer.assignment.count == 4)
            await consumer.close()
        }
    }

    @Test("a seek while the assignment is still being set up takes effect once the partition fetches")
    func seekDuringAssignment() async throws {
        try await withCluster(partitions: 1) { _, configuration in
            let producer = try KafkaProducer(configuration: configuration)
            _ = try await producer.sendAll((0..<10).map { KafkaProducerMessage(topic: "test", key: "k\($0)", value: [UInt8($0)]) })
            await producer.shutdown()
            let settings = KafkaConsumerConfiguration(groupID: "seek-early", topics: ["test"])
            let first = try KafkaConsumer(configuration: configuration, consumerConfiguration: settings)
            for await message in first {
                try first.markDone(message)
                if message.offset == 9 { break }
            }
            await first.close()

            // The group has committed everything: without the seek, nothing more arrives.
            let (assigned, assignedNow) = AsyncStream<Void>.makeStream()
            let second = try KafkaConsumer(
                configuration: configuration, consumerConfiguration: settings,
                rebalanceHandler: KafkaRebalanceHandler(onAssign: { _ in
                    assignedNow.yield()
                    try? await Task.sleep(for: .milliseconds(300))  // a slow restore: librdkafka is not fetching yet
                }))
            let reader = Task {
                var iterator = second.makeAsyncIterator()
                return await iterator.next()?.offset
            }
            for await _ in assigned { break }
            try await second.seek([KafkaTopicPartition(topic: "test", partition: 0): 3])
            let offset = await reader.value
            #expect(offset == 3)
            await second.close()
        }
    }

    @Test("marked offsets are committed; a new member of the group resumes after them")
    func commitAndResume() async throws {
        try await withCluster(partitions: 1) { _, configuration in
            let producer = try KafkaProducer(configuration: configuration)
            _ = try await producer.sendAll((0..<10).map { KafkaProducerMessage(topic: "test", key: "k\($0)", value: [UInt8($0)]) })
            let settings = KafkaConsumerConfiguration(groupID: "resume", topics: ["test"])
            let first = try KafkaConsumer(configuration: configuration, consumerConfiguration: settings)
            for await message in first {
                try first.markDone(message)
                if message.offset == 4 { break }
            }
            try await first.commit()
            let committed = try await first.committedOffsets([KafkaTopicPartition(topic: "test", partition: 0)])
            #expect(committed[KafkaTopicPartition(topic: "test", partition: 0)] == 5)
            await first.close()

            let second = try KafkaConsumer(configuration: configuration, consumerConfiguration: settings)
            var iterator = second.makeAsyncIterator()
            let next = await iterator.next()
            #expect(next?.offset == 5)
            await second.close()
            await producer.shutdown()
        }
    }

    @Test("offsets the revocation handler marks while the consumer closes are committed")
    func markDuringClose() async throws {
        try await withCluster(partitions: 1) { _, configuration in
            let producer = try KafkaProducer(configuration: configuration)
            _ = try await producer.sendAll((0..<5).map { KafkaProducerMessage(topic: "test", key: "k\($0)", value: [UInt8($0)]) })
            await producer.shutdown()

            final class Pending: Sendable {
                let consumer = Mutex<KafkaConsumer?>(nil)
                let last = Mutex<KafkaMessage?>(nil)
            }
            let pending = Pending()
            let settings = KafkaConsumerConfiguration(groupID: "mark-on-close", topics: ["test"])
            let consumer = try KafkaConsumer(
                configuration: configuration, consumerConfiguration: settings,
                rebalanceHandler: KafkaRebalanceHandler(onRevoke: { _ in
                    // Finishing in-flight work on revocation: mark what was processed.
                    if let message = pending.last.withLock({ $0 }) {
                        try? pending.consumer.withLock { $0 }?.markDone(message)
                    }
                }))
            pending.consumer.withLock { $0 = consumer }
            for await message in consumer {
                pending.last.withLock { $0 = message }
                if message.offset == 4 { break }
            }
            await consumer.close()
            pending.consumer.withLock { $0 = nil }

            let next = try KafkaConsumer(configuration: configuration, consumerConfiguration: settings)
            let committed = try await next.committedOffsets([KafkaTopicPartition(topic: "test", partition: 0)])
            #expect(committed[KafkaTopicPartition(topic: "test", partition: 0)] == 5)
            await next.close()
        }
    }
}
