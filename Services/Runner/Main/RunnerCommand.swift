import ArgumentParser
import Foundation
import ExampleJobs
import Logging
import ServiceLifecycle
import ServiceSupport
import TributaryRunner

/// `runner`: the reference runner with the example jobs. It only reads its configuration (flags
/// override environment variables), builds the runner with `buildRunner` and runs its services in
/// one `ServiceGroup` until SIGTERM or SIGINT.
@main
struct RunnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Run Tributary jobs on events from Kafka.",
        discussion: """
            Flags override the environment variables named in brackets. Environment: KAFKA_BROKERS (and \
            KAFKA_* librdkafka properties), TRIBUTARY_TOPIC_PREFIX, RUNNER_GROUP, RUNNER_TOPICS, RUNNER_ADMIN_HOST, \
            RUNNER_ADMIN_PORT, RUNNER_MAX_CONCURRENT_RUNS, RUNNER_DRAIN_TIMEOUT, RUNNER_LOG_LIMIT, LOG_LEVEL. \
            SIGTERM or SIGINT drain the runs in flight, commit and leave the group.
            """)

    @OptionGroup var flags: RunnerConfiguration.Flags

    func run() async throws {
        let (configuration, logger) = try loadServiceConfiguration(label: "tributary.runner", level: \.logLevel) {
            try RunnerConfiguration.fromEnvironment(flags: flags)
        }
        // Traces first: the group stops it last, so it exports the spans the others ended.
        let tracing = try bootstrapServiceTracing(service: "runner", logger: logger)
        let runner = try buildRunner(configuration: configuration, jobs: ExampleJobs.all, logger: logger)
        try await ServiceGroup(services: tracing + runner.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}
