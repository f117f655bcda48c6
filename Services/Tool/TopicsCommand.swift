import ArgumentParser
import TributaryKafka
import ServiceSupport

/// `tributary topics create`: creates Tributary's topics on a cluster (idempotent).
struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics", abstract: "Manage Tributary's topics.", subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the topics that do not exist yet (events and runs with the same partition count).")
        @OptionGroup var cluster: ClusterOptions
        @Option(help: "Partitions of the events, runs and dlq topics.") var partitions: Int32 = 12
        @Option(help: "Replication factor (3 on a production cluster).") var replicationFactor: Int32 = 1

        func run() async throws {
            let topics = TributaryTopics(prefix: cluster.prefix, partitions: partitions, replicationFactor: replicationFactor)
            note("creating \(topics.all.map(\.name).joined(separator: ", ")) ...")
            let admin = try KafkaAdmin(configuration: try await cluster.kafka(), logger: toolLogger())
            try await admin.createTopics(topics.all)
            for topic in topics.all {
                let described = try await admin.describeTopic(topic.name)
                print("\(topic.name)\t\(described.map { "\($0.partitions.count) partitions" } ?? "missing")")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the cluster's topics.")
        @OptionGroup var cluster: ClusterOptions

        func run() async throws {
            let admin = try KafkaAdmin(configuration: try await cluster.kafka(), logger: toolLogger())
            printTable(
                ["TOPIC", "PARTITIONS", "REPLICAS"],
                try await admin.listTopics().map {
                    [$0.name, "\($0.partitions.count)", "\($0.replicationFactor)"]
                })
        }
    }
}
