import ArgumentParser

/// `tributary`: the command-line tool. Each command lives in a file of its own.
@main
struct TributaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tributary",
        abstract: "Turn webhooks and Kafka events into reliable job runs.",
        subcommands: [
            BrokerCommand.self, DevCommand.self, TopicsCommand.self, SendCommand.self, SourcesCommand.self, JobsCommand.self,
            RunsCommand.self, ReplayCommand.self, KeysCommand.self, AuditCommand.self, EraseCommand.self,
        ]
    )
}
