import ArgumentParser
import Foundation
import ExampleJobs
import Logging
import ServiceSupport
import TributaryRunner

/// `runner`: the reference runner with the example jobs. It only reads its configuration (flags
/// override environment variables) and runs what `buildRunner` builds.
@main
struct RunnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Run Tributary jobs on events from Kafka.",
        discussion: """
            Environment: KAFKA_BROKERS (and KAFKA_* librdkafka properties), TRIBUTARY_TOPIC_PREFIX, \
            RUNNER_GROUP, RUNNER_TOPICS, RUNNER_ADMIN_PORT, RUNNER_MAX_CONCURRENT_RUNS, RUNNER_DRAIN_TIMEOUT. \
            SIGTERM or SIGINT drain the runs in flight, commit and leave the group.
            """)

    @Option(help: "Bootstrap servers (KAFKA_BROKERS).") var brokers: String?
    @Option(help: "Topic prefix (TRIBUTARY_TOPIC_PREFIX, default tributary).") var topicPrefix: String?
    @Option(help: "Consumer group (RUNNER_GROUP, default <prefix>-runners).") var group: String?
    @Option(help: "More event topics, comma-separated (RUNNER_TOPICS).") var topics: String?
    @Option(help: "Admin HTTP port (RUNNER_ADMIN_PORT, default 9090).") var adminPort: Int?
    @Option(help: "Most runs at once (RUNNER_MAX_CONCURRENT_RUNS, default 256).") var maxConcurrentRuns: Int?
    @Option(help: "How long shutdown waits for runs in flight, e.g. 30s (RUNNER_DRAIN_TIMEOUT).") var drainTimeout: String?

    func run() async throws {
        var overrides = RunnerConfiguration.Overrides()
        overrides.brokers = brokers
        overrides.topicPrefix = topicPrefix
        overrides.group = group
        overrides.topics = topics
        overrides.adminPort = adminPort
        overrides.maxConcurrentRuns = maxConcurrentRuns
        overrides.drainTimeout = drainTimeout
        let configuration: RunnerConfiguration
        var logger = Logger(label: "tributary.runner")
        do {
            configuration = try RunnerConfiguration.fromEnvironment(overrides: overrides)
            logger.logLevel = try ServiceEnvironment().logLevel()
        } catch {
            throw ValidationError("\(error)")
        }
        try await buildRunner(configuration: configuration, jobs: ExampleJobs.all, logger: logger).run()
    }
}
