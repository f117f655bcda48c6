import Hummingbird
import TributaryKafka
import Logging
import ServiceLifecycle
import ServiceSupport

/// Builds a runner hosting `jobs`: what the `runner` executable's `@main`, `tributary dev` and the
/// tests call. Its services, in start order, are the runner (``RunnerService``, the built service's
/// parts) and its admin server (`/healthz`, `/readyz`, `/metrics` on `RUNNER_ADMIN_PORT`); the
/// caller runs them in its own `ServiceGroup`, whose graceful shutdown drains the runs in flight,
/// commits and leaves the groups. Throws when two jobs share an id or a job's trigger is invalid.
public func buildRunner(
    configuration: RunnerConfiguration, jobs: [RunnerJob],
    logger: Logger = Logger(label: "tributary.runner")
) throws -> BuiltService<RunnerService> {
    configuration.kafka.logSkippedVariables(to: logger)
    let runner = try RunnerService(configuration: configuration, jobs: jobs, logger: logger)
    var admin = AdminRoutes(metrics: runner.metrics.registry) { runner.isReady }
    admin.beforeScrape = { runner.updateWaitsPending() }
    let services: [any Service] = [
        runner, admin.application(host: configuration.adminHost, port: configuration.adminPort, logger: logger),
    ]
    return BuiltService(
        name: "runner", parts: runner, services: services, admin: admin,
        adminHost: configuration.adminHost, adminPort: configuration.adminPort)
}

extension BuiltService where Parts == RunnerService {
    /// The runner service: its partitions, jobs and metrics.
    public var runner: RunnerService { parts }
}
