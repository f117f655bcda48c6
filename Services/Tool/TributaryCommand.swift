import ArgumentParser
import ServiceSupport
import Synchronization

/// The tool's entry: reads `tributary dev`'s connection settings (`.tributary/dev.env` in the working
/// directory) when `KAFKA_BROKERS` is not set, then runs the command.
@main
enum TributaryMain {
    static func main() async {
        let applied = DevSettings.applyToEnvironment()
        ToolStart.settingsApplied.withLock { $0 = applied }
        await TributaryCommand.main()
    }
}

/// What the tool's start did before the command ran.
enum ToolStart {
    /// The variables taken from `.tributary/dev.env` (empty: none, the environment had them or there is no file).
    static let settingsApplied = Mutex<[String]>([])
}

/// `tributary`: the command-line tool. Each command lives in a file of its own.
struct TributaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tributary",
        abstract: "Turn webhooks and Kafka events into reliable job runs.",
        subcommands: [
            BrokerCommand.self, DevCommand.self, InitCommand.self, TopicsCommand.self, SendCommand.self, SourcesCommand.self,
            JobsCommand.self,
            RunsCommand.self, ReplayCommand.self,
        ]
    )
}
