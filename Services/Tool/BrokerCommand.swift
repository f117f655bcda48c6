import ArgumentParser
import TributaryDev
import Foundation
import TributaryKafka
import ServiceSupport
import Logging
import ServiceLifecycle

/// `tributary broker`: the embedded Kafka cluster in its own process, with Tributary's topics.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run an in-memory Kafka cluster (librdkafka's mock cluster) with Tributary's topics.",
        discussion: """
            Prints the bootstrap servers as the first line of standard output, then runs until \
            SIGINT or SIGTERM. Everything is kept in memory and bounded (about the newest 5 MB of \
            each partition); it does not compact. For production, use a real Kafka cluster.
            """
    )

    @Option(help: "Number of brokers in the cluster.")
    var brokers: Int = 1

    @Option(help: "Topic prefix (TRIBUTARY_TOPIC_PREFIX).")
    var topicPrefix: String = ProcessInfo.processInfo.environment["TRIBUTARY_TOPIC_PREFIX"] ?? "tributary"

    @Option(help: "Partitions of the events and runs topics.")
    var partitions: Int32 = 12

    func validate() throws {
        guard brokers >= 1 else { throw ValidationError("--brokers must be at least 1") }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
    }

    func run() async throws {
        let logger = Logger(label: "tributary.broker")
        let cluster = try EmbeddedKafkaCluster(brokers: brokers, logger: logger)
        for topic in TributaryTopics(prefix: topicPrefix, partitions: partitions).all {
            try cluster.createTopic(topic)
        }
        FileHandle.standardOutput.write(Data((cluster.bootstrapServers + "\n").utf8))
        FileHandle.standardError.write(
            Data(
                """
                tributary broker: in-memory Kafka on \(cluster.bootstrapServers) (\(brokers) broker(s), topics \(topicPrefix).*).
                It keeps only the newest ~5 MB of each partition and does not compact: for development and tests only.

                """.utf8))
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: EmbeddedBrokerService(cluster: cluster))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
