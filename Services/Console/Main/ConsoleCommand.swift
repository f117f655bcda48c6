import ArgumentParser
import ExampleJobs
import Logging
import ServiceLifecycle
import ServiceSupport
import TributaryConsole
import TributaryIntegrations

/// `console`: the web dashboard. Reads its configuration, builds the console with ``buildConsole``
/// (the Testing UI offers every provider's event specifications and the example jobs' events) and
/// runs its services in one `ServiceGroup` until SIGTERM or SIGINT.
@main
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Serve the web dashboard: runs, jobs, the Testing UI, sources, deliveries and dead letters.",
        discussion: "Flags override the environment variables named in brackets.")

    @OptionGroup var flags: ConsoleConfiguration.Flags

    func run() async throws {
        let (configuration, logger) = try loadServiceConfiguration(label: "tributary.console", level: \.logLevel) {
            try ConsoleConfiguration.fromEnvironment(flags: flags)
        }
        // Traces first: the group stops it last, so it exports the spans the others ended.
        let tracing = try bootstrapServiceTracing(service: "console", logger: logger)
        let console = try await buildConsole(configuration: configuration, catalog: Providers.events + ExampleJobs.events, logger: logger)
        try await ServiceGroup(services: tracing + console.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}
