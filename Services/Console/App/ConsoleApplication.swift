import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import ServiceSupport
import Tributary
import TributaryIntegrations
import TributaryKafka

/// What the console exposes besides running: its HTTP application, its database, its projection,
/// its live-update hub and its sessions (tests drive them directly).
public struct ConsoleParts: Sendable {
    /// The HTTP server (pages, `/api/`, `/events`, `/login`, the admin routes). Tests that drive it
    /// in memory (HummingbirdTesting's `.router`) run the other services beside it.
    public var application: Application<RouterResponder<ConsoleRequestContext>>
    /// The SQLite projection.
    public var store: ConsoleStore
    /// The service following the topics into ``store``.
    public var projection: ProjectionService
    /// The live-update hub.
    public var updates: ConsoleUpdates
    /// The logins.
    public var sessions: ConsoleSessions
}

/// Builds the console: ensures the topics it reads and writes exist, opens its SQLite database, and
/// returns its services in start order: the producer (test events, replays, cancel requests), the
/// projection of `<p>.runs`, `<p>.triggers`, `<p>.sources`, `<p>.dlq` and `<p>.deliveries`, the HTTP
/// server on `CONSOLE_PORT`, and the live-update hub (last, so that it stops first and the open
/// event streams end before the server waits for them). The `console` executable, `tributary dev`
/// and the tests run them in their own `ServiceGroup`.
///
/// `catalog` is the Testing UI's event specifications. `onServerRunning` gets the bound port.
public func buildConsole(
    configuration: ConsoleConfiguration,
    catalog: [ProviderEvent],
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> BuiltService<ConsoleParts> {
    configuration.kafka.logSkippedVariables(to: logger)
    let topics = configuration.topics
    try await topics.ensure(
        [topics.events, topics.runs, topics.waits, topics.triggers, topics.sources, topics.deadLetters, topics.deliveries],
        configuration: configuration.kafka, logger: logger)
    let store: ConsoleStore
    do { store = try ConsoleStore(path: configuration.databasePath) } catch {
        throw ConfigurationError(
            "CONSOLE_DATABASE=\(configuration.databasePath) cannot be opened: \(error)", variable: "CONSOLE_DATABASE")
    }
    let producer = try KafkaProducer(configuration: configuration.kafka, logger: logger)
    let updates = ConsoleUpdates()
    let projection = ProjectionService(
        store: store, projection: ConsoleProjection(topics: topics), kafka: configuration.kafka, updates: updates,
        retention: configuration.retention, logger: logger)
    let sessions = ConsoleSessions(password: configuration.password, lifetime: configuration.sessionLifetime)
    let commands = try CommandClient(configuration: configuration.kafka, topics: topics, logger: logger)
    let actions = ConsoleActions(
        producer: producer, commands: commands, sealer: configuration.sealer, kafka: configuration.kafka, topics: topics, store: store,
        catalog: catalog)

    let router = Router(context: ConsoleRequestContext.self)
    let admin = AdminRoutes(metrics: PrometheusCollectorRegistry()) {
        guard projection.isCaughtUp else { return false }
        return await producer.isConnected()
    }
    admin.add(to: router)
    // With tracing on, a server span per request to the pages and the API (not the admin endpoints
    // above: middleware applies to the routes added after it).
    if ServiceTracing.isEnabled { router.add(middleware: RequestSpanMiddleware()) }
    ConsoleRoutes(store: store, sessions: sessions, actions: actions, updates: updates, logger: logger).add(to: router)

    let generated = configuration.generatedPassword ? configuration.password : nil
    let host = configuration.host
    let application = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tributary-console"),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            if let generated {
                logger.notice(
                    "CONSOLE_PASSWORD is not set: log in with the generated password",
                    metadata: ["login": "\(consoleLoginLink(host: host, port: port, password: generated))"])
            }
            await onServerRunning(port)
        },
        logger: logger)
    return BuiltService(
        name: "console",
        parts: ConsoleParts(application: application, store: store, projection: projection, updates: updates, sessions: sessions),
        services: [
            ProducerService(producer: producer), CommandClientService(client: commands), projection, application,
            ConsoleUpdatesService(updates: updates),
        ],
        admin: admin, adminHost: configuration.host, adminPort: configuration.port)
}

/// Keeps the console's command client until graceful shutdown, then frees its producer.
struct CommandClientService: Service {
    let client: CommandClient

    func run() async throws {
        try? await gracefulShutdown()
        await client.shutdown()
    }
}

/// The link that logs a browser in: `http://<host>:<port>/login?token=<password>` (a wildcard host
/// is shown as `localhost`).
public func consoleLoginLink(host: String, port: Int, password: String) -> String {
    let shown = host == "0.0.0.0" || host == "::" ? "localhost" : host
    return "http://\(shown):\(port)/login?token=\(HTML.query(password))"
}
