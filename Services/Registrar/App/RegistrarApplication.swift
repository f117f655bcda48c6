import Hummingbird
import Synchronization
import Kafka
import Logging
import ServiceLifecycle
import ServiceSupport
import Tributary
import UnixSignals
import TributaryIntegrations

/// A built registrar: its services (producer, view of `<p>.triggers`, leadership with the reconcile
/// loop, admin HTTP server) in one `ServiceGroup`. The leader's views of `<p>.sources` and
/// `<p>.commands`, and its transactional producer, live as long as its leadership term.
public final class Registrar: Sendable {
    /// The metrics `/metrics` serves.
    public let metrics: RegistrarMetrics
    private let group: ServiceGroup

    init(metrics: RegistrarMetrics, group: ServiceGroup) {
        self.metrics = metrics
        self.group = group
    }

    /// Runs until graceful shutdown (a configured signal or ``shutdown()``).
    public func run() async throws {
        try await group.run()
    }

    /// Starts a graceful shutdown: the leader stops reconciling, leaves the group, the producer flushes.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }
}

/// Builds the registrar: ensures its topics exist and wires the producer, the views, the leadership
/// and the admin server (`/healthz`, `/readyz`, `/metrics`). The `registrar` executable and the tests
/// both call it. `catalog` gives the integrations (and which credentials are missing);
/// `onAdminRunning` gets the admin server's bound port (useful with port 0).
public func buildRegistrar(
    configuration: RegistrarConfiguration,
    catalog: IntegrationCatalog,
    logger: Logger,
    gracefulShutdownSignals: [UnixSignal] = [],
    onAdminRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> Registrar {
    configuration.kafka.logSkippedVariables(to: logger)
    let topics = configuration.topics
    try await topics.ensure(
        [topics.sources, topics.triggers, topics.registrarControl, topics.events, topics.commands],
        configuration: configuration.kafka, logger: logger)

    let producer = try KafkaProducer(configuration: configuration.kafka, logger: logger)
    let metrics = RegistrarMetrics()
    let wakeup = Wakeup()
    // Runners' presence heartbeats wake the reconciler only when the declarations they carry change.
    let presence = PresenceDeclarations()
    let triggers = try KafkaTableView(configuration: configuration.kafka, topic: topics.triggers.name, logger: logger) { change in
        if RunnerPresence.isPresenceKey(change.key) {
            let hosted = change.value.flatMap { try? RunnerPresence(record: WireRecord(key: nil, value: $0)) }?.jobs.map(\.declaration)
            let changed = presence.update(change.key, hosted)
            if changed { wakeup.signal() }
            return
        }
        if let value = change.value {
            do {
                _ = try TriggerDeclaration(record: WireRecord(key: Array(change.key.utf8), value: value))
            } catch {
                logger.warning("unreadable trigger declaration is ignored", metadata: [LogKey.jobId: "\(change.key)", LogKey.error: "\(error)"])
            }
        }
        wakeup.signal()
    }
    let control = ControlLog(kafka: configuration.kafka, producer: producer, topic: topics.registrarControl.name, logger: logger)
    let reconciler = Reconciler(
        configuration: configuration, catalog: catalog, triggers: triggers, control: control,
        metrics: metrics, wakeup: wakeup,
        poller: Poller(configuration: configuration, catalog: catalog, producer: producer, metrics: metrics, logger: logger),
        logger: logger)
    let leadership = LeadershipService(
        kafka: configuration.kafka, topic: topics.registrarControl.name, groupID: "\(configuration.topicPrefix)-registrar",
        sessionTimeout: configuration.sessionTimeout, retryBackoff: configuration.retryBackoff, reconciler: reconciler, logger: logger)

    let router = Router()
    AdminRoutes(metrics: metrics.registry) {
        triggers.isCaughtUp
    }.add(to: router)
    let admin = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.adminHost, port: configuration.adminPort), serverName: "tributary-registrar"),
        onServerRunning: { channel in await onAdminRunning(channel.localAddress?.port ?? configuration.adminPort) },
        logger: logger)

    // Shut down in reverse order: the admin server, the leader, the view, then the producer flushes.
    let services: [any Service] = [
        ProducerService(producer: producer), TableViewService(view: triggers), leadership, admin,
    ]
    let group = ServiceGroup(configuration: .init(
        services: services.map { .init(service: $0) }, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger))
    return Registrar(metrics: metrics, group: group)
}

/// The declarations each runner's presence carried last, so that a heartbeat which changes nothing
/// does not wake the reconciler.
final class PresenceDeclarations: Sendable {
    private let known = Mutex<[String: [TriggerDeclaration]]>([:])

    /// Records what a presence key carries now; true when it differs from before.
    func update(_ key: String, _ declarations: [TriggerDeclaration]?) -> Bool {
        known.withLock { known in
            defer { known[key] = declarations }
            return known[key] != declarations
        }
    }
}
