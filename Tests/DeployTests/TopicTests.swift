import Foundation
import ServiceSupport
import Testing

/// The topics `tributary topics create` (the compose and Kubernetes topics jobs), `tributary broker`
/// and `tributary dev` create, against the README's topic table.
@Suite struct TopicTests {
    @Test func topicsCreateMakesEveryTopicWithItsCleanupAndTheCommandsTopicHasOnePartitionAndADaysRetention() throws {
        let topics = TributaryTopics(prefix: "p", partitions: 24, replicationFactor: 3)
        #expect(
            topics.all.map(\.name) == [
                "p.events", "p.runs", "p.waits", "p.flow", "p.sources", "p.triggers", "p.dlq", "p.registrar", "p.commands", "p.schedules",
                "p.audit", "p.deliveries",
            ])
        #expect(topics.all.allSatisfy { $0.replicationFactor == 3 })
        let commands = topics.commands
        #expect(commands.partitions == 1)
        #expect(commands.configs == ["cleanup.policy": "delete", "retention.ms": "86400000"])
        #expect(topics.registrarTransactionalID == "p.registrar.sources")
        #expect(topics.schedulerTransactionalID == "p.registrar.schedules")
        #expect(topics.schedules.partitions == 1 && topics.schedules.configs == ["cleanup.policy": "compact"])
        #expect(topics.audit.partitions == 1 && topics.audit.configs == ["cleanup.policy": "delete", "retention.ms": "31536000000"])
        #expect(
            topics.deliveries.partitions == 1 && topics.deliveries.configs == ["cleanup.policy": "delete", "retention.ms": "259200000"])
    }

    @Test func theREADMEsTopicTableListsEveryTopic() throws {
        let readme = try repositoryText("README.md")
        let section = try #require(readme.components(separatedBy: "\n## Topics and wire formats\n").dropFirst().first)
        let listed = Set(
            section.split(separator: "\n").prefix { !$0.hasPrefix("Every record") }
                .filter { $0.hasPrefix("| `<p>.") }
                .compactMap { $0.split(separator: "`").dropFirst().first.map { $0.replacingOccurrences(of: "<p>", with: "p") } })
        #expect(listed == Set(TributaryTopics(prefix: "p").all.map(\.name)))
    }
}
