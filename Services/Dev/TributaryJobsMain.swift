import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import ServiceSupport
import Synchronization
import Tributary
import TributaryKafka
import TributaryRunner

/// The `main` of an executable that hosts your jobs: `dev` runs the whole system locally with them
/// (the embedded broker, receiver, registrar and a runner, as `tributary dev` does with the
/// examples); `run` (the default) runs a runner with them against the Kafka of `KAFKA_BROKERS`,
/// configured like the reference `runner`. The same executable serves your dev loop and production.
public enum TributaryJobsMain {
    /// Parses the command line and runs `dev` or `run` with `jobs`; exits the process with the
    /// command's status.
    public static func main(
        jobs: [RunnerJob], name: String = CommandLine.arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "jobs"
    ) async {
        HostedJobs.shared.withLock { $0 = (jobs, name) }
        // Started beside a dev in the same directory, `run` and `send` find its Kafka without an export.
        DevSettings.applyToEnvironment()
        await HostCommand.main()
    }
}

/// The jobs `TributaryJobsMain.main` was given, for its commands (ArgumentParser builds them itself).
enum HostedJobs {
    static let shared = Mutex<(jobs: [RunnerJob], name: String)>(([], "jobs"))
}

struct HostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Your Tributary jobs: `dev` runs the whole system locally with them, `run` a runner against your Kafka.",
        subcommands: [HostRunCommand.self, HostDevCommand.self, HostSendCommand.self], defaultSubcommand: HostRunCommand.self)
}

struct HostDevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev", abstract: "Run the whole system locally, with these jobs, on an in-memory Kafka cluster.")

    @OptionGroup var options: DevOptions

    func run() async throws {
        let (jobs, name) = HostedJobs.shared.withLock { $0 }
        try await runDevSystem(jobs: jobs, options: options, name: name)
    }
}

struct HostRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run these jobs on events from Kafka (KAFKA_BROKERS; the reference runner's variables).")

    @OptionGroup var flags: RunnerConfiguration.Flags

    func run() async throws {
        let (configuration, logger) = try loadServiceConfiguration(label: "tributary.runner", level: \.logLevel) {
            try RunnerConfiguration.fromEnvironment(flags: flags)
        }
        let jobs = HostedJobs.shared.withLock { $0.jobs }
        let runner = try buildRunner(configuration: configuration, jobs: jobs, logger: logger)
        try await ServiceGroup(services: runner.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}

struct HostSendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send", abstract: "Publish an example event of these jobs' triggers to <p>.events (KAFKA_BROKERS, or dev's settings).")

    @Argument(help: "The event name, e.g. greeting.sent.") var event: String
    @Option(help: "The id of one of the trigger's examples (default: its first).") var example: String?

    func run() async throws {
        let jobs = HostedJobs.shared.withLock { $0.jobs }
        let examples = jobs.flatMap(\.job.exampleEvents).filter { $0.name == event }
        guard !examples.isEmpty else {
            let known = Set(jobs.flatMap(\.job.exampleEvents).map(\.name)).sorted()
            throw ValidationError("no example of \(event) in these jobs' triggers; known: \(known.joined(separator: ", "))")
        }
        guard var record = example.map({ wanted in examples.first { $0.id == "example_\(wanted)" } }) ?? examples.first else {
            throw ValidationError(
                "\(event) has no example \(example ?? ""); examples: \(examples.map { $0.id.replacingOccurrences(of: "example_", with: "") }.joined(separator: ", "))"
            )
        }
        record.id = "test_\(UUID().uuidString.lowercased())"
        record.timestamp = Date()
        let environment = ServiceEnvironment()
        let kafka = try KafkaConfiguration.fromEnvironment(environment.values)
        let topics = TributaryTopics(prefix: environment.string("TRIBUTARY_TOPIC_PREFIX") ?? "tributary")
        let producer = try KafkaProducer(configuration: kafka)
        let report = try await producer.send(KafkaProducerMessage(topic: topics.events.name, record: CloudEvent.encode(record)))
        await producer.shutdown()
        print("sent \(record.name) \(record.key) to \(report.topic)[\(report.partition)]@\(report.offset)")
    }
}
