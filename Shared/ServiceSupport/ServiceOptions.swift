import ArgumentParser

/// The flags every service executable takes (`receiver`, `registrar`, `runner`, or a user's own
/// `@main`): add it with `@OptionGroup`. Each flag wins over the environment variable in brackets;
/// a service's `Overrides.init(…)` takes it, so no entry point copies flags by hand.
public struct ServiceOptions: ParsableArguments, Sendable {
    /// `--brokers`, over `KAFKA_BROKERS`.
    @Option(help: "Kafka bootstrap servers [KAFKA_BROKERS].") public var brokers: String?
    /// `--topic-prefix`, over `TRIBUTARY_TOPIC_PREFIX`.
    @Option(help: "Topic prefix [TRIBUTARY_TOPIC_PREFIX].") public var topicPrefix: String?
    /// `--log-level`, over `LOG_LEVEL`.
    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical [LOG_LEVEL].") public var logLevel: String?

    /// No flags given (ArgumentParser fills the values when it parses).
    public init() {}
}

/// The admin server's flags of a service that serves `/healthz`, `/readyz` and `/metrics` on a
/// port of its own (the registrar, the runner). The variables are the service's own:
/// `REGISTRAR_ADMIN_HOST` and `REGISTRAR_ADMIN_PORT`, `RUNNER_ADMIN_HOST` and `RUNNER_ADMIN_PORT`.
public struct AdminOptions: ParsableArguments, Sendable {
    /// `--admin-host`, over `<SERVICE>_ADMIN_HOST`.
    @Option(help: "Admin address (/healthz, /readyz, /metrics) [REGISTRAR_ADMIN_HOST, RUNNER_ADMIN_HOST].") public var adminHost: String?
    /// `--admin-port`, over `<SERVICE>_ADMIN_PORT` (0 picks a free port).
    @Option(help: "Admin port [REGISTRAR_ADMIN_PORT, RUNNER_ADMIN_PORT].") public var adminPort: Int?

    /// No flags given (ArgumentParser fills the values when it parses).
    public init() {}
}

import Logging

/// What a service executable's `run()` does first: reads its configuration with `load`, turning a
/// failure into a `ValidationError` whose message is the error's (it names the variable or flag at
/// fault), sets up swift-log in the `LOG_FORMAT` (``LogFormat``, trace ids included) and makes the
/// service's logger at the configured level.
public func loadServiceConfiguration<Configuration>(
    label: String, level: (Configuration) -> Logger.Level, _ load: () throws -> Configuration
) throws -> (Configuration, Logger) {
    let configuration: Configuration
    let format: LogFormat
    do {
        configuration = try load()
        format = try ServiceEnvironment().logFormat()
    } catch { throw ValidationError("\(error)") }
    format.bootstrap()
    var logger = Logger(label: label)
    logger.logLevel = level(configuration)
    return (configuration, logger)
}

import ServiceLifecycle

/// The traces of a service executable (``ServiceTracing``, from the `OTEL_*` variables): installs the
/// tracer when an endpoint is set and returns its exporting service, to put first in the service
/// group (empty when tracing is off). A bad variable is a `ValidationError` naming it.
public func bootstrapServiceTracing(service: String, logger: Logger) throws -> [any Service] {
    do { return try ServiceTracing.fromEnvironment(service: service).bootstrap(logger: logger) } catch {
        throw ValidationError("\(error)")
    }
}
