import TributaryKafka
import Logging

extension TributaryTopics {
    /// Makes sure the topics exist (idempotent). Against the embedded broker, which does not answer
    /// CreateTopics, topics created by `tributary broker` or `tributary dev` count; real-cluster
    /// creation goes through CreateTopics with the partitions, replication factor and cleanup policy.
    public func ensure(_ specifications: [KafkaTopicSpecification], configuration: KafkaConfiguration, logger: Logger) async throws {
        let admin = try KafkaAdmin(configuration: configuration, logger: logger)
        try await admin.createTopics(specifications)
    }
}
