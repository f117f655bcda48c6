import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import ServiceSupport
import Synchronization
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
        subcommands: [HostRunCommand.self, HostDevCommand.self], defaultSubcommand: HostRunCommand.self)
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
