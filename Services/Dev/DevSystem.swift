import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import ServiceSupport
import Tributary
import TributaryConsole
import TributaryIntegrations
import TributaryKafka
import TributaryReceiver
import TributaryRegistrar
import TributaryRunner

/// The whole system in one process on an embedded Kafka cluster: the broker with Tributary's topics,
/// the receiver, the registrar, a runner hosting `jobs` and the console (on 127.0.0.1, its login
/// link in the banner; its Testing UI offers `events`, by default every provider's events). It writes its connection settings to
/// `.tributary/dev.env` (see ``DevSettings``) so that the tool started in the same directory needs no
/// export. SIGINT or SIGTERM stops everything cleanly (runs drain, offsets commit, the producer
/// flushes). `tributary dev` runs it with the example jobs; your own executable with yours:
///
/// ```swift
/// @main struct MyJobs {
///     static func main() async { await TributaryJobsMain.main(jobs: [RunnerJob(onPrice)]) }
/// }
/// // swift run my-jobs dev
/// ```
public func runDevSystem(
    jobs: [RunnerJob], options: DevOptions, name: String = "tributary", events: [ProviderEvent] = Providers.events
) async throws {
    let environment = ServiceEnvironment()
    var logger = Logger(label: "tributary.dev")
    do { logger.logLevel = try environment.logLevel() } catch { throw DevError("\(error)") }
    // Every port first, so that a busy one is named at once (not after the system started), held
    // until the embedded cluster has bound its own.
    let reservations = PortReservations()
    _ = try reservePort(options.port, flag: "--port", what: "the receiver", held: reservations)
    let runnerAdmin = try reservePort(
        options.runnerAdminPort, flag: "--runner-admin-port", what: "the runner's admin server", held: reservations)
    let registrarAdmin = try reservePort(
        options.registrarAdminPort, flag: "--registrar-admin-port", what: "the registrar's admin server", held: reservations)
    // The console: on the port given (--console-port, CONSOLE_PORT), else on a free one like the admin
    // servers (two devs, or tests side by side, never race for a fixed default), printed in the banner.
    let consolePort: Int
    do {
        let asked = try environment.int("CONSOLE_PORT", override: options.consolePort, default: -1, range: -1...65535)
        consolePort = try reservePort(asked >= 0 ? asked : nil, flag: "--console-port", what: "the console", held: reservations)
    } catch let error as ConfigurationError { throw DevError("\(error)") }
    // --kafka-port listens now, before the cluster's brokers bind their ephemeral ports: a port
    // checked and let go could be given to one of them.
    var forwarder: KafkaPortForwarder?
    if let kafkaPort = options.kafkaPort {
        _ = try reservePort(kafkaPort, flag: "--kafka-port", what: "Kafka's bootstrap")
        do { forwarder = try await KafkaPortForwarder(port: kafkaPort) } catch {
            throw DevError("cannot listen on port \(kafkaPort) (Kafka's bootstrap, --kafka-port): \(error)")
        }
    }

    let cluster = try EmbeddedKafkaCluster(logger: logger)
    reservations.release()
    let topics = TributaryTopics(prefix: options.topicPrefix, partitions: options.partitions)
    for topic in topics.all { try cluster.createTopic(topic) }
    let kafka = cluster.configuration
    var bootstrap = cluster.bootstrapServers
    if let forwarder, let kafkaPort = options.kafkaPort {
        let first = bootstrap.split(separator: ",")[0]
        guard let colon = first.lastIndex(of: ":"), let brokerPort = Int(first[first.index(after: colon)...]) else {
            throw DevError("cannot read the embedded broker's address \(first)")
        }
        let target = try SocketAddress(ipAddress: String(first[..<colon]), port: brokerPort)
        try forwarder.relay(to: target)
        bootstrap = "127.0.0.1:\(kafkaPort)"
    }

    let generatedKey = environment.string("TRIBUTARY_SECRET_KEY") == nil
    let secretKey = environment.string("TRIBUTARY_SECRET_KEY") ?? SecretSealer.generateKey()
    let sealer: SecretSealer
    do {
        // TRIBUTARY_SECRET_KEY_PREVIOUS, when set, unseals as in the services.
        var keys = environment
        keys.values["TRIBUTARY_SECRET_KEY"] = secretKey
        sealer = try keys.sealer()
    } catch { throw DevError(error.message) }
    let publicURL = environment.string("PUBLIC_URL", override: options.publicURL) ?? "http://localhost:\(options.port)"
    let catalog = try IntegrationCatalog.fromEnvironment(logger: logger)

    let settings = DevSettings(values: [
        "KAFKA_BROKERS": bootstrap, "TRIBUTARY_TOPIC_PREFIX": options.topicPrefix, "TRIBUTARY_SECRET_KEY": secretKey,
    ])
    let settingsURL = options.noSettingsFile ? nil : DevSettings.url()
    if let settingsURL {
        do { try settings.write(to: settingsURL) } catch {
            logger.warning(
                "cannot write \(DevSettings.relativePath): export the variables the banner prints", metadata: [LogKey.error: "\(error)"])
        }
    }
    defer { if let settingsURL { try? FileManager.default.removeItem(at: settingsURL) } }

    var receiverConfiguration = ReceiverConfiguration(kafka: kafka, sealer: sealer)
    receiverConfiguration.topicPrefix = options.topicPrefix
    receiverConfiguration.partitions = options.partitions
    receiverConfiguration.port = options.port
    receiverConfiguration.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
    // The console: on loopback, a fresh database in a temporary folder (the embedded broker forgets
    // everything at exit), the password CONSOLE_PASSWORD or a generated one, shown as a login link.
    var consoleConfiguration = ConsoleConfiguration(
        kafka: kafka, password: environment.string("CONSOLE_PASSWORD") ?? ConsoleConfiguration.generatePassword())
    consoleConfiguration.topicPrefix = options.topicPrefix
    consoleConfiguration.partitions = options.partitions
    consoleConfiguration.host = "127.0.0.1"
    consoleConfiguration.port = consolePort
    consoleConfiguration.sealer = sealer
    let consoleFolder = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-dev-console-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: consoleFolder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: consoleFolder) }
    consoleConfiguration.databasePath = consoleFolder.appendingPathComponent("console.sqlite").path
    let console = try await buildConsole(configuration: consoleConfiguration, catalog: events, logger: logger)

    let banner = DevBanner(
        name: name, bootstrap: bootstrap, runnerAdminPort: runnerAdmin, registrarAdminPort: registrarAdmin,
        consoleLogin: consoleLoginLink(host: "localhost", port: consolePort, password: consoleConfiguration.password),
        publicURL: publicURL, prefix: options.topicPrefix, secretKey: generatedKey ? secretKey : nil,
        settingsFile: settingsURL.map { _ in DevSettings.relativePath }, jobs: jobs.map(\.id),
        missing: catalog.missingCredentials)
    let receiver = try await buildReceiver(configuration: receiverConfiguration, sources: catalog.sources, logger: logger) { port in
        banner.print(port: port)
    }

    var registrarConfiguration = RegistrarConfiguration(kafka: kafka, publicURL: publicURL, sealer: sealer)
    registrarConfiguration.topicPrefix = options.topicPrefix
    registrarConfiguration.adminPort = registrarAdmin
    registrarConfiguration.resyncInterval = .seconds(60)
    let registrar = try await buildRegistrar(configuration: registrarConfiguration, catalog: catalog, logger: logger)

    var runnerConfiguration = RunnerConfiguration(kafka: kafka, topicPrefix: options.topicPrefix)
    runnerConfiguration.adminPort = runnerAdmin
    runnerConfiguration.printRunLogs = true
    let runner = try buildRunner(configuration: runnerConfiguration, jobs: jobs, logger: logger)

    // One group for everything. It shuts down in reverse order: the receiver stops taking webhooks,
    // then the runner drains, the registrar stops, and the cluster goes last.
    let services: [any Service] =
        [EmbeddedBrokerService(cluster: cluster)] + (forwarder.map { [$0] } ?? [])
        + registrar.services + runner.services + console.services + receiver.services
    try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    FileHandle.standardError.write(Data("\(name) dev stopped\n".utf8))
}

/// A dev system that cannot start: a busy port, an invalid key (its message says which).
public struct DevError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to do.
    public var description: String
    init(_ description: String) { self.description = description }
}

/// What dev prints once the receiver listens: every address, and what to type next.
struct DevBanner: Sendable {
    var name: String
    var bootstrap: String
    var runnerAdminPort: Int
    var registrarAdminPort: Int
    /// The console's login link.
    var consoleLogin: String
    var publicURL: String
    var prefix: String
    var secretKey: String?
    var settingsFile: String?
    var jobs: [String]
    var missing: [String: String]

    func print(port: Int) {
        var lines = [
            "",
            "Tributary is running (Ctrl-C stops it).",
            "  Kafka (embedded, in memory, bounded to ~5 MB per partition; dev only): \(bootstrap)",
            "  Webhooks: \(publicURL)/sources/<source key>, e.g. \(publicURL)/sources/stripe.webhook (listening on \(port))",
            "  Console: \(consoleLogin)   (the link logs you in)",
            "  Runner admin: http://localhost:\(runnerAdminPort)/healthz, /readyz, /metrics",
            "  Registrar admin: http://localhost:\(registrarAdminPort)/healthz, /readyz, /metrics",
            "  Topics: " + TributaryTopics(prefix: prefix).all.map(\.name).joined(separator: ", "),
            "  Jobs: \(jobs.joined(separator: ", "))",
            "",
        ]
        if let settingsFile {
            lines.append("In another terminal, in this directory (the tool reads \(settingsFile); no export needed):")
        } else {
            lines.append("In another terminal:")
            lines.append("  export KAFKA_BROKERS=\(bootstrap)\(secretKey.map { " TRIBUTARY_SECRET_KEY=\($0)" } ?? "")")
        }
        lines += [
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
}

/// Checks that `port` (on every address) is free by binding it, or with nil finds a free one, and
/// returns it; a port in use is an error naming the port, what wanted it and the flag that moves it.
/// With `held`, the bound socket stays open (not listening) until ``PortReservations/release()``.
func reservePort(_ port: Int?, flag: String, what: String, held: PortReservations? = nil) throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw DevError("cannot open a socket to check \(flag): \(String(cString: strerror(errno)))") }
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
        close(fd)
        let reason = String(cString: strerror(failure))
        if failure == EADDRINUSE {
            throw DevError("port \(port ?? 0) is in use (\(what), \(flag)): stop what listens there, or pass \(flag) with another port")
        }
        throw DevError("cannot listen on port \(port ?? 0) (\(what), \(flag)): \(reason)")
    }
    if let held { held.keep(fd) } else { close(fd) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The ports dev checked free, each still bound (not listening) while the embedded cluster's brokers
/// bind their ephemeral ports, so that the kernel cannot hand one of them to a broker; released
/// before the servers bind them.
final class PortReservations {
    private var sockets: [Int32] = []

    func keep(_ fd: Int32) { sockets.append(fd) }

    /// Closes the held sockets (the ports are free for their servers).
    func release() {
        for fd in sockets { close(fd) }
        sockets = []
    }

    deinit { release() }
}

/// Keeps the embedded cluster up until graceful shutdown, then stops it.
public struct EmbeddedBrokerService: Service {
    /// The cluster it stops.
    public let cluster: EmbeddedKafkaCluster

    /// A service for `cluster`.
    public init(cluster: EmbeddedKafkaCluster) { self.cluster = cluster }

    public func run() async throws {
        try? await gracefulShutdown()
        cluster.shutdown()
    }
}
