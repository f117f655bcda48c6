import Foundation
import TributaryKafka
import Logging
import Testing

@Suite("Transactional producer on the embedded cluster")
struct TransactionTests {
    /// Every record on `topic` now, as (key, value) text.
    func records(_ configuration: KafkaConfiguration, topic: String = "test") async throws -> [String] {
        let reader = try KafkaTopicReader(configuration: configuration, topic: topic)
        var found: [String] = []
        for await event in reader {
            switch event {
            case .message(let message): found.append(String(decoding: message.value ?? [], as: UTF8.self))
            case .caughtUp:
                await reader.close()
                return found.sorted()
            }
        }
        return found.sorted()
    }

    func message(_ text: String) -> KafkaProducerMessage {
        KafkaProducerMessage(topic: "test", partition: 0, key: text, value: Array(text.utf8))
    }

    @Test("transactions commit their records; after an abort the next transaction commits")
    func commitAndAbort() async throws {
        try await withCluster(partitions: 1) { _, configuration in
            let producer = try KafkaTransactionalProducer(configuration: configuration, transactionalID: "test.writer")
            try await producer.initTransactions()
            let reports = try await producer.transaction([message("a"), message("b")])
            #expect(reports.map(\.offset).count == 2)

            try producer.beginTransaction()
            try await producer.send(message("aborted"))
            try await producer.abortTransaction()
            // (The 2.0.2 mock writes no transaction markers, so it cannot hide an aborted record from
            // readers the way a real broker does; what is checked here is that the producer goes on.)
            try await producer.transaction([message("c")])
            #expect(try await records(configuration).filter { $0 != "aborted" } == ["a", "b", "c"])
            await producer.shutdown()
        }
    }

    @Test("an empty transactional id is refused, naming the parameter")
    func emptyIdIsRefused() async throws {
        let error = #expect(throws: KafkaError.self) {
            try KafkaTransactionalProducer(configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"), transactionalID: "")
        }
        #expect(error?.message.contains("transactionalID") == true)
    }

    /// A real broker answers a producer that a second one with the same transactional id replaced with
    /// PRODUCER_FENCED (Kafka 2.7+, error 90) or INVALID_PRODUCER_EPOCH (older brokers, error 47). The
    /// 2.0.2 mock cluster gives every InitProducerId a new producer id instead of bumping the epoch, so
    /// it never sends that answer by itself: the test injects it on the first producer's next request,
    /// after the second producer initialised, as the broker would.
    @Test(
        "a second producer with the same transactional id fences the first, which fails for good; the second goes on",
        arguments: [(apiKey: Int16(26), code: Int32(90)), (apiKey: Int16(24), code: Int32(47))])
    func secondProducerFencesTheFirst(fencing: (apiKey: Int16, code: Int32)) async throws {
        try await withCluster(partitions: 1) { cluster, configuration in
            let quiet = Logger(label: "test.fenced") { _ in SwiftLogNoOpLogHandler() }  // it logs its fatal error
            let first = try KafkaTransactionalProducer(configuration: configuration, transactionalID: "test.leader", logger: quiet)
            try await first.initTransactions()
            try await first.transaction([message("first-1")])

            let second = try KafkaTransactionalProducer(configuration: configuration, transactionalID: "test.leader")
            try await second.initTransactions()
            // EndTxn (26) or AddPartitionsToTxn (24) of the first producer's next transaction is fenced.
            cluster.failNextRequests(apiKey: fencing.apiKey, withErrorCodes: [fencing.code])
            do throws(KafkaError) {
                try await first.transaction([message("first-2")])
                Issue.record("the fenced producer committed a transaction")
            } catch {
                #expect(error.isFenced, "\(error)")
                #expect(error.isFatal, "\(error)")
            }
            // Fenced is for good: no later transaction either.
            await #expect(throws: KafkaError.self) { try await first.transaction([message("first-3")]) }

            try await second.transaction([message("second-1")])
            let found = try await records(configuration)
            #expect(found.contains("first-1") && found.contains("second-1"))
            #expect(!found.contains("first-3"))
            await first.shutdown()
            await second.shutdown()
        }
    }
}
