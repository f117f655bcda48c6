import Foundation
import TributaryKafka
import Testing

@Suite("Faults on the embedded cluster")
struct FaultToleranceTests {
    @Test("with every broker silent an awaited send fails within its timeout; once they answer again, sends succeed")
    func brokersDown() async throws {
        try await withCluster(brokers: 3, partitions: 3) { cluster, configuration in
            var settings = KafkaProducerConfiguration()
            settings.deliveryTimeout = .seconds(2)
            let producer = try KafkaProducer(configuration: configuration, producerConfiguration: settings)
            try await producer.send(KafkaProducerMessage(topic: "test", key: "before", value: [1]))

            // Brokers that answer nothing within the delivery timeout (2 s): 4 s per response.
            cluster.holdAllResponses(for: .seconds(4))
            let started = ContinuousClock.now
            await #expect(throws: KafkaError.self) {
                try await producer.send(KafkaProducerMessage(topic: "test", key: "while-down", value: [2]))
            }
            let elapsed = ContinuousClock.now - started
            // Bounded by the 2 s delivery timeout, not by librdkafka's default of minutes; the margin is for a loaded machine.
            #expect(elapsed < .seconds(20), "the send failed only after \(elapsed)")
            do {
                try await producer.send(KafkaProducerMessage(topic: "test", key: "while-down-2", value: [3]))
                Issue.record("a send succeeded while every broker was silent")
            } catch let error as KafkaError {
                #expect(error.isRetriable, "\(error)")
            }

            cluster.holdAllResponses(for: nil)
            try await eventually("a send succeeds after the brokers return") {
                (try? await producer.send(KafkaProducerMessage(topic: "test", key: "after", value: [4]))) != nil
            }
            await producer.shutdown()
        }
    }

    @Test("a send after shutdown throws instead of hanging")
    func sendAfterShutdown() async throws {
        try await withCluster { _, configuration in
            let producer = try KafkaProducer(configuration: configuration)
            await producer.shutdown()
            await #expect(throws: KafkaError.self) {
                try await producer.send(KafkaProducerMessage(topic: "test", key: "late", value: [1]))
            }
        }
    }
}
