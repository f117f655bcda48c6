import Kafka
import Logging
import ServiceLifecycle
import ServiceSupport
import Synchronization

/// Leader election through Kafka group membership: every registrar joins the group `<p>-registrar` on
/// the single-partition control topic `<p>.registrar`; the member assigned partition 0 leads and runs
/// the reconcile loop until the partition is revoked. A leader that dies stops heartbeating and the
/// group gives the partition to another member after the session timeout.
struct LeadershipService: Service {
    let kafka: KafkaConfiguration
    let topic: String
    let groupID: String
    let sessionTimeout: Duration
    let reconciler: Reconciler
    let logger: Logger

    func run() async throws {
        let term = LeaderTerm()
        let topic = self.topic
        let reconciler = self.reconciler
        let logger = self.logger
        let holdsLeadership = { @Sendable (partitions: [KafkaTopicPartition]) in
            partitions.contains { $0.topic == topic && $0.partition == 0 }
        }
        let stopLeading = { @Sendable in
            let task = term.task.withLock { task -> Task<Void, Never>? in
                defer { task = nil }
                return task
            }
            task?.cancel()
            await task?.value
        }
        let handler = KafkaRebalanceHandler(
            onAssign: { partitions in
                guard holdsLeadership(partitions) else { return }
                logger.info("elected leader", metadata: [LogKey.topic: "\(topic)"])
                term.task.withLock { $0 = Task { await reconciler.lead() } }
            },
            onRevoke: { partitions in
                guard holdsLeadership(partitions) else { return }
                logger.info("leadership revoked", metadata: [LogKey.topic: "\(topic)"])
                await stopLeading()
            })
        var settings = KafkaConsumerConfiguration(groupID: groupID, topics: [topic])
        settings.sessionTimeout = sessionTimeout
        settings.autoOffsetReset = "latest"
        let consumer = try KafkaConsumer(
            configuration: kafka, consumerConfiguration: settings, rebalanceHandler: handler, logger: logger)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                // The leader reads the control topic itself when it takes over; the group's copy is drained.
                for await _ in consumer {}
            } onCancel: {
                Task { await consumer.close() }
            }
        } onGracefulShutdown: {
            Task { await consumer.close() }
        }
        await stopLeading()
    }
}

/// The running reconcile loop of this member's leadership term, if it leads.
final class LeaderTerm: Sendable {
    let task = Mutex<Task<Void, Never>?>(nil)
}
