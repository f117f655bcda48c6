import Hummingbird
import Kafka
import Logging
import ServiceLifecycle
import ServiceSupport

/// A runner process: the runner service and its admin HTTP server (`/healthz`, `/readyz`, `/metrics`).
public struct RunnerApplication: Sendable {
    /// The runner.
    public let runner: RunnerService
    /// The long-running parts, in start order: the runner, then the admin server (when it has a port).
    public let services: [any Service]
    /// The logger.
    public let logger: Logger

    /// Runs every service in one `ServiceGroup` until SIGTERM or SIGINT, which shut it down gracefully
    /// (the runner drains its runs, commits and leaves the group).
    public func run() async throws {
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

/// Builds a runner process hosting `jobs`: what the `runner` executable's `@main` calls, and tests too.
/// Throws when two jobs share an id or a job's trigger is invalid.
public func buildRunner(configuration: RunnerConfiguration, jobs: [RunnerJob],
                        logger: Logger = Logger(label: "tributary.runner")) throws -> RunnerApplication {
    configuration.kafka.logSkippedVariables(to: logger)
    let runner = try RunnerService(configuration: configuration, jobs: jobs, logger: logger)
    var services: [any Service] = [runner]
    let admin = AdminRoutes(metrics: runner.metrics.registry) { runner.isReady }
    services.append(admin.application(host: configuration.adminHost, port: configuration.adminPort, logger: logger))
    return RunnerApplication(runner: runner, services: services, logger: logger)
}
