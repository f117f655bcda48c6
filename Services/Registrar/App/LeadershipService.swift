import TributaryKafka
import Logging
import ServiceLifecycle
import ServiceSupport
import Synchronization

/// Leader election through Kafka group membership: every registrar joins the group `<p>-registrar` on
/// the single-partition control topic `<p>.registrar`; the member assigned partition 0 leads and runs
/// the reconcile loop until the partition is revoked. A leader that dies stops heartbeating and the
/// group gives the partition to another member after the session timeout.
///
/// Group membership alone cannot stop a leader that is cut off from the group coordinator but can
/// still write: the term's transactional producer does (see ``LeaderWriter``). A term that is fenced
/// (or can no longer write for another reason) ends, and this member leaves the group and joins it
/// again, so the group, not the fenced member, decides who leads.
struct LeadershipService: Service {
    let kafka: KafkaConfiguration
    let topic: String
    let groupID: String
    let sessionTimeout: Duration
    let retryBackoff: Duration
    let reconciler: Reconciler
    let logger: Logger
    /// The scheduler a leader runs beside the reconcile loop.
    var scheduler: Scheduler? = nil

    func run() async throws {
        let membership = Membership()
        let term = LeaderTerm()
        let stopLeading = { @Sendable in
            let task = term.task.withLock { task -> Task<Void, Never>? in
                defer { task = nil }
                return task
            }
            task?.cancel()
            await task?.value
        }
        // The first join fails the service (e.g. a bad setting); later ones are retried.
        var next: KafkaConsumer? = try makeConsumer(term: term, membership: membership, stopLeading: stopLeading)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                while !membership.isStopping {
                    let consumer: KafkaConsumer
                    if let joined = next {
                        consumer = joined
                        next = nil
                    } else {
                        do {
                            consumer = try makeConsumer(term: term, membership: membership, stopLeading: stopLeading)
                            logger.info("joined the registrar group again")
                        } catch {
                            logger.error("cannot join the registrar group; retrying", metadata: [LogKey.error: "\(error)"])
                            try? await Task.sleep(for: retryBackoff)
                            continue
                        }
                    }
                    guard membership.joined(consumer) else {
                        await consumer.close()
                        break
                    }
                    // The leader reads the control topic itself when it takes over; the group's copy is drained.
                    for await _ in consumer {}
                    await stopLeading()
                    guard membership.takeRejoin() else { break }
                }
            } onCancel: {
                membership.stop()
            }
        } onGracefulShutdown: {
            membership.stop()
        }
        if let next { await next.close() }
        await stopLeading()
    }

    private func makeConsumer(
        term: LeaderTerm, membership: Membership, stopLeading: @escaping @Sendable () async -> Void
    ) throws(KafkaError) -> KafkaConsumer {
        let topic = self.topic
        let reconciler = self.reconciler
        let scheduler = self.scheduler
        let logger = self.logger
        let holdsLeadership = { @Sendable (partitions: [KafkaTopicPartition]) in
            partitions.contains { $0.topic == topic && $0.partition == 0 }
        }
        let handler = KafkaRebalanceHandler(
            onAssign: { partitions in
                guard holdsLeadership(partitions) else { return }
                logger.info("elected leader", metadata: [LogKey.topic: "\(topic)"])
                term.task.withLock {
                    $0 = Task {
                        // The reconcile loop and the scheduler lead together; either losing the term ends it.
                        let lost = await withTaskGroup(of: Bool.self) { group in
                            group.addTask { if case .lost = await reconciler.lead() { return true } else { return false } }
                            if let scheduler {
                                group.addTask { if case .lost = await scheduler.lead() { return true } else { return false } }
                            }
                            var lost = false
                            for await ended in group where ended && !lost {
                                lost = true
                                logger.warning("leaving the registrar group to join again: the group decides who leads")
                                membership.rejoin()
                            }
                            return lost
                        }
                        _ = lost
                    }
                }
            },
            onRevoke: { partitions in
                guard holdsLeadership(partitions) else { return }
                logger.info("leadership revoked", metadata: [LogKey.topic: "\(topic)"])
                await stopLeading()
            })
        var settings = KafkaConsumerConfiguration(groupID: groupID, topics: [topic])
        settings.sessionTimeout = sessionTimeout
        settings.autoOffsetReset = "latest"
        return try KafkaConsumer(configuration: kafka, consumerConfiguration: settings, rebalanceHandler: handler, logger: logger)
    }
}

/// The running reconcile loop of this member's leadership term, if it leads.
final class LeaderTerm: Sendable {
    let task = Mutex<Task<Void, Never>?>(nil)
}

/// This member's group consumer, and whether it is to stop or to leave and join again.
final class Membership: Sendable {
    private struct State {
        var consumer: KafkaConsumer?
        var stopping = false
        var rejoin = false
    }

    private let state = Mutex(State())

    /// Whether the service is shutting down.
    var isStopping: Bool { state.withLock { $0.stopping } }

    /// Records the current consumer; false when the service is stopping already (close it then). A
    /// term may have asked to rejoin before this (its consumer assigns partitions as soon as it exists):
    /// then the consumer is closed at once.
    func joined(_ consumer: KafkaConsumer) -> Bool {
        let (joined, closeNow) = state.withLock { state -> (Bool, Bool) in
            guard !state.stopping else { return (false, false) }
            state.consumer = consumer
            return (true, state.rejoin)
        }
        if closeNow { Task { await consumer.close() } }
        return joined
    }

    /// Leaves the group for good (shutdown).
    func stop() {
        let consumer = state.withLock { state -> KafkaConsumer? in
            state.stopping = true
            return state.consumer
        }
        if let consumer { Task { await consumer.close() } }
    }

    /// Leaves the group to join it again (the term lost leadership).
    func rejoin() {
        let consumer = state.withLock { state -> KafkaConsumer? in
            guard !state.stopping else { return nil }
            state.rejoin = true
            return state.consumer
        }
        if let consumer { Task { await consumer.close() } }
    }

    /// After the consumer ended: whether to join again (and forget the request).
    func takeRejoin() -> Bool {
        state.withLock { state in
            defer { state.rejoin = false; state.consumer = nil }
            return state.rejoin && !state.stopping
        }
    }
}
