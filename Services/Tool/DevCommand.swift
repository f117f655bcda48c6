import ArgumentParser
import ExampleJobs
import Foundation
import TributaryConsole
import TributaryKafka
import Logging
import ServiceLifecycle
import ServiceSupport
import Tributary
import TributaryIntegrations
import TributaryReceiver
import TributaryRegistrar
import TributaryRunner

/// `tributary dev`: the whole system in one process on an embedded Kafka cluster: the broker with
/// Tributary's topics, the receiver, the registrar, a runner with the example jobs and the console
/// (on loopback, its login link in the banner). Ctrl-C stops
/// everything cleanly (runs drain, offsets commit, the producer flushes).
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run the whole system locally on an in-memory Kafka cluster.",
        discussion: """
            Without provider credentials it still works: sources that cannot be registered show their error in \
            `tributary sources`, and a secret can be set by hand for local forwarding, e.g. the one \
            `stripe listen --forward-to localhost:8080/sources/stripe.webhook` prints: \
            `tributary sources set-secret stripe.webhook whsec_...`.
            """)

    @Option(help: "Port of the receiver.") var port: Int = 8080
    @Option(help: "The receiver's public base URL, for provider webhooks [PUBLIC_URL] (default http://localhost:<port>).") var publicURL:
        String?
    @Option(help: "Topic prefix.") var topicPrefix: String = "tributary"
    @Option(help: "Partitions of the events and runs topics.") var partitions: Int32 = 4
    @Option(help: "Port of the runner's /healthz, /readyz and /metrics (default: a free port, printed).") var runnerAdminPort: Int?
    @Option(help: "Port of the registrar's /healthz, /readyz and /metrics (default: a free port, printed).") var registrarAdminPort: Int?
    @Option(help: "Port of the console, on 127.0.0.1 [CONSOLE_PORT].") var consolePort: Int?

    func run() async throws {
        var logger = Logger(label: "tributary.dev")
        do { logger.logLevel = try ServiceEnvironment().logLevel() } catch { throw ToolError("\(error)") }
        let environment = ServiceEnvironment()
        // Every port first, so that a busy one is named at once (not after the system started).
        _ = try Self.reservePort(port, flag: "--port", what: "the receiver")
        let runnerAdmin = try Self.reservePort(runnerAdminPort, flag: "--runner-admin-port", what: "the runner's admin server")
        let registrarAdmin = try Self.reservePort(
            registrarAdminPort, flag: "--registrar-admin-port", what: "the registrar's admin server")
        let consoleListen: Int
        do {
            consoleListen = try Self.reservePort(
                try environment.int("CONSOLE_PORT", override: consolePort, default: 8088, range: 0...65535), flag: "--console-port",
                what: "the console")
        } catch let error as ConfigurationError { throw ToolError("\(error)") }

        let cluster = try EmbeddedKafkaCluster(logger: logger)
        let topics = TributaryTopics(prefix: topicPrefix, partitions: partitions)
        for topic in topics.all { try cluster.createTopic(topic) }
        let kafka = cluster.configuration

        let generatedKey = environment.string("TRIBUTARY_SECRET_KEY") == nil
        let secretKey = environment.string("TRIBUTARY_SECRET_KEY") ?? SecretSealer.generateKey()
        let sealer: SecretSealer
        do { sealer = try SecretSealer(base64Key: secretKey) } catch { throw ToolError("TRIBUTARY_SECRET_KEY is invalid: \(error)") }
        let publicURL = environment.string("PUBLIC_URL", override: publicURL) ?? "http://localhost:\(port)"
        let catalog = try IntegrationCatalog.fromEnvironment(logger: logger)

        var receiverConfiguration = ReceiverConfiguration(kafka: kafka, sealer: sealer)
        receiverConfiguration.topicPrefix = topicPrefix
        receiverConfiguration.partitions = partitions
        receiverConfiguration.port = port
        receiverConfiguration.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        // The console: on loopback, a fresh database in a temporary folder (the embedded broker forgets
        // everything at exit), the password CONSOLE_PASSWORD or a generated one, shown as a login link.
        var consoleConfiguration = ConsoleConfiguration(
            kafka: kafka, password: environment.string("CONSOLE_PASSWORD") ?? ConsoleConfiguration.generatePassword())
        consoleConfiguration.topicPrefix = topicPrefix
        consoleConfiguration.partitions = partitions
        consoleConfiguration.host = "127.0.0.1"
        consoleConfiguration.sealer = sealer
        consoleConfiguration.port = consoleListen
        let consoleFolder = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-dev-console-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: consoleFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: consoleFolder) }
        consoleConfiguration.databasePath = consoleFolder.appendingPathComponent("console.sqlite").path
        let loginLink = consoleLoginLink(host: "localhost", port: consoleListen, password: consoleConfiguration.password)
        let console = try await buildConsole(configuration: consoleConfiguration, catalog: EventCatalog.all, logger: logger)

        let receiver = try await buildReceiver(configuration: receiverConfiguration, sources: catalog.sources, logger: logger) { port in
            Self.banner(
                bootstrap: cluster.bootstrapServers, port: port, runnerAdminPort: runnerAdmin, registrarAdminPort: registrarAdmin,
                publicURL: publicURL, prefix: topicPrefix, consoleLogin: loginLink,
                secretKey: generatedKey ? secretKey : nil, missing: catalog.missingCredentials)
        }

        var registrarConfiguration = RegistrarConfiguration(kafka: kafka, publicURL: publicURL, sealer: sealer)
        registrarConfiguration.topicPrefix = topicPrefix
        registrarConfiguration.adminPort = registrarAdmin
        registrarConfiguration.resyncInterval = .seconds(60)
        let registrar = try await buildRegistrar(configuration: registrarConfiguration, catalog: catalog, logger: logger)

        var runnerConfiguration = RunnerConfiguration(kafka: kafka, topicPrefix: topicPrefix)
        runnerConfiguration.adminPort = runnerAdmin
        runnerConfiguration.printRunLogs = true
        let runner = try buildRunner(configuration: runnerConfiguration, jobs: ExampleJobs.all, logger: logger)

        // One group for everything. It shuts down in reverse order: the receiver stops taking webhooks,
        // then the runner drains, the registrar stops, and the cluster goes last.
        let services: [any Service] =
            [EmbeddedBrokerService(cluster: cluster)]
            + registrar.services + runner.services + console.services + receiver.services
        try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
        note("tributary dev stopped")
    }

    static func banner(
        bootstrap: String, port: Int, runnerAdminPort: Int, registrarAdminPort: Int, publicURL: String, prefix: String,
        consoleLogin: String? = nil, secretKey: String?, missing: [String: String]
    ) {
        var lines = [
            "",
            "Tributary is running (Ctrl-C stops it).",
            "  Kafka (embedded, in memory, bounded to ~5 MB per partition; dev only): \(bootstrap)",
            "  Webhooks: \(publicURL)/sources/<source key>, e.g. \(publicURL)/sources/stripe.webhook (listening on \(port))",
            "  Console: \(consoleLogin ?? "not started")   (the link logs you in)",
            "  Runner admin: http://localhost:\(runnerAdminPort)/healthz, /readyz, /metrics",
            "  Registrar admin: http://localhost:\(registrarAdminPort)/healthz, /readyz, /metrics",
            "  Topics: \(prefix).events, .sources, .triggers, .runs, .dlq, .registrar, .commands, .schedules, .deliveries",
            "",
            "In another terminal:",
            "  export KAFKA_BROKERS=\(bootstrap)\(secretKey.map { " TRIBUTARY_SECRET_KEY=\($0)" } ?? "")",
            "  swift run tributary send price.created        # a test event; the stripe-on-price job logs \"price created!\"",
            "  swift run tributary runs --follow --logs      # runs and their log lines as they happen",
            "  swift run tributary sources                   # sources and registration errors",
            "  swift run tributary sources set-secret stripe.webhook whsec_...   # the secret `stripe listen` prints",
        ]
        if !missing.isEmpty {
            lines.append("")
            lines.append(
                "No credentials for \(missing.keys.sorted().joined(separator: ", ")) (\(missing.values.sorted().joined(separator: ", "))): their sources cannot be registered; set a secret by hand to forward webhooks locally."
            )
        }
        if secretKey != nil { lines.append("  (TRIBUTARY_SECRET_KEY was generated for this session)") }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n\n").utf8))
    }

    /// Checks that `port` (on every address) is free by binding it, or with nil finds a free one, and
    /// returns it; a port in use is an error naming the port, what wanted it and the flag that moves it.
    static func reservePort(_ port: Int?, flag: String, what: String) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ToolError("cannot open a socket to check \(flag): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var yes: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = 0  // INADDR_ANY: every address, as the servers listen
        address.sin_port = UInt16(port ?? 0).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let failure = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32? in
                guard bind(fd, pointer, length) == 0 else { return errno }
                return getsockname(fd, pointer, &length) == 0 ? nil : errno
            }
        }
        if let failure {
            let reason = String(cString: strerror(failure))
            if failure == EADDRINUSE {
                throw ToolError(
                    "port \(port ?? 0) is in use (\(what), \(flag)): stop what listens there, or pass \(flag) with another port")
            }
            throw ToolError("cannot listen on port \(port ?? 0) (\(what), \(flag)): \(reason)")
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
