import Kafka

/// Tributary's topics under a prefix, with their partition counts and cleanup policies.
struct TributaryTopics {
    var prefix: String
    /// Partitions of `<p>.events`; `<p>.runs` has the same number (co-partitioned).
    var partitions: Int32
    var replicationFactor: Int32 = 1

    var events: KafkaTopicSpecification {
        KafkaTopicSpecification(name: "\(prefix).events", partitions: partitions, replicationFactor: replicationFactor,
                                configs: ["cleanup.policy": "delete"])
    }
    var runs: KafkaTopicSpecification {
        KafkaTopicSpecification(name: "\(prefix).runs", partitions: partitions, replicationFactor: replicationFactor,
                                configs: ["cleanup.policy": "compact"])
    }
    var sources: KafkaTopicSpecification {
        KafkaTopicSpecification(name: "\(prefix).sources", partitions: 1, replicationFactor: replicationFactor,
                                configs: ["cleanup.policy": "compact"])
    }
    var triggers: KafkaTopicSpecification {
        KafkaTopicSpecification(name: "\(prefix).triggers", partitions: 1, replicationFactor: replicationFactor,
                                configs: ["cleanup.policy": "compact"])
    }
    var deadLetters: KafkaTopicSpecification {
        KafkaTopicSpecification(name: "\(prefix).dlq", partitions: partitions, replicationFactor: replicationFactor,
                                configs: ["cleanup.policy": "delete"])
    }
    /// Single-partition topic whose group membership elects the registrar leader.
    var registrarControl: KafkaTopicSpecification {
        KafkaTopicSpecification(name: "\(prefix).registrar", partitions: 1, replicationFactor: replicationFactor,
                                configs: ["cleanup.policy": "compact"])
    }

    var all: [KafkaTopicSpecification] { [events, runs, sources, triggers, deadLetters, registrarControl] }
}
