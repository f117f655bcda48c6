import Foundation
import TributaryKafka
import TestSupport
import Testing

@Suite("A consumer group across processes", .tags(.processes), .notInFastRun)
struct ConsumerGroupProcessTests {
    /// Parses the probes' `message <partition> <offset> <key>` lines.
    static func keys(_ lines: [String]) -> [String] {
        lines.filter { $0.hasPrefix("message ") }.map { String($0.split(separator: " ")[3]) }
    }

    static func assignment(_ lines: [String]) -> Set<Int32>? {
        guard let last = lines.last(where: { $0.hasPrefix("assigned") || $0 == "revoked" }), last.hasPrefix("assigned ") else {
            return nil
        }
        return Set(last.dropFirst("assigned ".count).split(separator: ",").compactMap { Int32($0) })
    }

    @Test("two members split the partitions and see every record once; a killed member's records go to the other")
    func splitAndTakeOver() async throws {
        try await withCluster(partitions: 4) { _, configuration in
            let probe = productURL("KafkaProbe")
            let committing = try ChildProcess(probe, [configuration.bootstrapServers, "group", "test"])
            let silent = try ChildProcess(probe, [configuration.bootstrapServers, "group", "test", "--no-commit"])
            try await eventually("both members hold disjoint halves of the 4 partitions", timeout: .seconds(30)) {
                guard let a = Self.assignment(committing.lines), let b = Self.assignment(silent.lines) else { return false }
                return !a.isEmpty && !b.isEmpty && a.isDisjoint(with: b) && a.union(b) == [0, 1, 2, 3]
            }

            let producer = try KafkaProducer(configuration: configuration)
            let all = Set((0..<200).map { "k\($0)" })
            _ = try await producer.sendAll(all.map { KafkaProducerMessage(topic: "test", key: $0, value: [1]) })
            try await eventually("the two members together received all 200 records") {
                Set(Self.keys(committing.lines) + Self.keys(silent.lines)) == all
            }
            let first = Self.keys(committing.lines)
            let second = Self.keys(silent.lines)
            #expect(first.count + second.count == 200, "a record was delivered twice")
            #expect(!second.isEmpty)

            // The member that never committed dies; the other takes its partitions and reads them again.
            silent.kill()
            try await eventually("the surviving member received the dead member's records", timeout: .seconds(40)) {
                Set(Self.keys(committing.lines)) == all
            }
            #expect(Self.assignment(committing.lines) == [0, 1, 2, 3])
            committing.terminate()
            await producer.shutdown()
        }
    }
}
