import ArgumentParser

/// The flags of `dev` (`tributary dev`, and your jobs' executable's `dev`): ports, the public URL,
/// the topics, and where the connection settings go.
public struct DevOptions: ParsableArguments, Sendable {
    @Option(help: "Port of the receiver.") public var port: Int = 8080
    @Option(help: "The receiver's public base URL, for provider webhooks [PUBLIC_URL] (default http://localhost:<port>).")
    public var publicURL: String?
    @Option(help: "Topic prefix.") public var topicPrefix: String = "tributary"
    @Option(help: "Partitions of the events and runs topics.") public var partitions: Int32 = 4
    @Option(help: "Port of the runner's /healthz, /readyz and /metrics (default: a free port, printed).") public var runnerAdminPort: Int?
    @Option(help: "Port of the registrar's /healthz, /readyz and /metrics (default: a free port, printed).")
    public var registrarAdminPort: Int?
    @Option(help: "Port of the console, on 127.0.0.1 [CONSOLE_PORT] (default: a free port, printed with its login link).") public
        var consolePort: Int?
    @Option(help: "A fixed port for Kafka's bootstrap (default: the embedded brokers' own, new each start).") public var kafkaPort: Int?
    @Flag(help: "Do not write the connection settings to .tributary/dev.env in the working directory.")
    public var noSettingsFile = false

    /// The defaults.
    public init() {}
}
