import Hummingbird
import Synchronization
import TributaryKafka
import Logging
import ServiceLifecycle
import ServiceSupport
import Tributary
import TributaryIntegrations

/// Builds the registrar: ensures its topics exist and returns its services in start order: the
/// producer, the view of `<p>.triggers`, the leadership (with the reconcile loop), then the admin
/// server (`/healthz`, `/readyz`, `/metrics`). The leader's views of `<p>.sources` and
/// `<p>.commands`, and its transactional producer, live as long as its leadership term. The
/// `registrar` executable, `tributary dev` and the tests run the services in their own
/// `ServiceGroup`; its graceful shutdown stops the leader reconciling, leaves the group and flushes
/// the producer. `catalog` gives the integrations (and which credentials are missing);
/// `onAdminRunning` gets the admin server's bound port (useful with port 0). The parts are the
/// metrics `/metrics` serves.
public func buildRegistrar(
    configuration: RegistrarConfiguration,
    catalog: IntegrationCatalog,
    logger: Logger,
    onAdminRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> BuiltService<RegistrarMetrics> {
    configuration.kafka.logSkippedVariables(to: logger)
    let topics = configuration.topics
    try await topics.ensure(
        [topics.sources, topics.triggers, topics.registrarControl, topics.events, topics.commands, topics.schedules],
        configuration: configuration.kafka, logger: logger)

    let producer = try KafkaProducer(configuration: configuration.kafka, logger: logger)
    let metrics = RegistrarMetrics()
    let wakeup = Wakeup()
    let scheduleWakeup = Wakeup()
    // Runners' presence heartbeats wake the reconciler only when the declarations they carry change.
    let presence = PresenceDeclarations()
    let triggers = try KafkaTableView(configuration: configuration.kafka, topic: topics.triggers.name, logger: logger) { change in
        if RunnerPresence.isPresenceKey(change.key) {
            let hosted = change.value.flatMap { try? RunnerPresence(record: WireRecord(key: nil, value: $0)) }?.jobs.map(\.declaration)
            let changed = presence.update(change.key, hosted)
            if changed { wakeup.signal(); scheduleWakeup.signal() }
            return
        }
        if let value = change.value {
            do {
                _ = try TriggerDeclaration(record: WireRecord(key: Array(change.key.utf8), value: value))
            } catch {
                logger.warning(
                    "unreadable trigger declaration is ignored", metadata: [LogKey.jobId: "\(change.key)", LogKey.error: "\(error)"])
            }
        }
        wakeup.signal()
        scheduleWakeup.signal()
    }
    let control = ControlLog(kafka: configuration.kafka, producer: producer, topic: topics.registrarControl.name, logger: logger)
    let reconciler = Reconciler(
        configuration: configuration, catalog: catalog, triggers: triggers, control: control,
        metrics: metrics, wakeup: wakeup,
        poller: Poller(configuration: configuration, catalog: catalog, producer: producer, metrics: metrics, logger: logger),
        logger: logger)
    let leadership = LeadershipService(
        kafka: configuration.kafka, topic: topics.registrarControl.name, groupID: "\(configuration.topicPrefix)-registrar",
        sessionTimeout: configuration.sessionTimeout, retryBackoff: configuration.retryBackoff, reconciler: reconciler, logger: logger,
        scheduler: Scheduler(configuration: configuration, triggers: triggers, wakeup: scheduleWakeup, metrics: metrics, logger: logger))

    let router = Router()
    let adminRoutes = AdminRoutes(metrics: metrics.registry) {
        triggers.isCaughtUp
    }
    adminRoutes.add(to: router)
    let admin = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.adminHost, port: configuration.adminPort), serverName: "tributary-registrar"),
        onServerRunning: { channel in await onAdminRunning(channel.localAddress?.port ?? configuration.adminPort) },
        logger: logger)

    // Shut down in reverse order: the admin server, the leader, the view, then the producer flushes.
    let services: [any Service] = [
        ProducerService(producer: producer), TableViewService(view: triggers), leadership, admin,
    ]
    return BuiltService(
        name: "registrar", parts: metrics, services: services, admin: adminRoutes,
        adminHost: configuration.adminHost, adminPort: configuration.adminPort)
}

extension BuiltService where Parts == RegistrarMetrics {
    /// The registrar's metrics (what `/metrics` serves).
    public var metrics: RegistrarMetrics { parts }
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
