import Foundation
@_exported import TestSupport
import TributaryKafka
import Synchronization

/// A fresh embedded cluster with one topic, stopped when the test ends. Clients created in `body`
/// log quietly; what they held back is printed if `body` throws (``TestLogging``).
func withCluster<T>(
    brokers: Int = 1, topic: String = "test", partitions: Int32 = 4,
    _ body: (EmbeddedKafkaCluster, KafkaConfiguration) async throws -> T
) async throws -> T {
    try await TestLogging.keepingLogs {
        let cluster = try EmbeddedKafkaCluster(brokers: brokers)
        defer { cluster.shutdown() }
        try cluster.createTopic(KafkaTopicSpecification(name: topic, partitions: partitions))
        return try await body(cluster, cluster.configuration)
    }
}
