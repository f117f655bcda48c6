import Foundation
import Logging
import ServiceSupport
import Synchronization
import Tributary
import TributaryKafka

/// Looks back for events that ended a wait before this runner knew of the wait: when a new event
/// wait appears on `<p>.waits` (or partitions are newly assigned), the event partitions this
/// subscription holds are read from the wait's `since` (its start less its lookback) to their
/// current end, and every matching event is delivered as a match.
///
/// With the live matching of each event taken, this leaves no gap: an event taken before the
/// runner learned of the wait is at or below the partition's end when the scan starts (the
/// scan starts after the wait was learned); one taken after is matched live. A match found both
/// ways is written twice, harmlessly (the run's owner takes the first).
///
/// Requests are coalesced: one scan at a time per subscription covers every wait queued meanwhile.
final class LookbackScanner: Sendable {
    private struct State {
        var queue: [WaitRecord] = []
        var partitions: Set<KafkaTopicPartition> = []
        var task: Task<Void, Never>?
        var stopped = false
    }

    private let state = Mutex(State())
    private let configuration: KafkaConfiguration
    private let lookup: KafkaOffsetLookup
    private let deliver: @Sendable (WaitRecord) async throws -> Void
    private let logger: Logger

    /// A scanner reading with `configuration` and writing matches through `deliver`.
    init(configuration: KafkaConfiguration, logger: Logger, deliver: @escaping @Sendable (WaitRecord) async throws -> Void) {
        self.configuration = configuration
        self.lookup = KafkaOffsetLookup(configuration: configuration, logger: logger)
        self.deliver = deliver
        self.logger = logger
    }

    /// Queues a look-back for `registrations` over `partitions`.
    func enqueue(_ registrations: [WaitRecord], partitions: [KafkaTopicPartition]) {
        let wanted = registrations.filter { $0.kind == .registration && $0.wait != nil }
        guard !wanted.isEmpty, !partitions.isEmpty else { return }
        state.withLock { state in
            guard !state.stopped else { return }
            state.queue.append(contentsOf: wanted)
            state.partitions.formUnion(partitions)
            if state.task == nil { state.task = Task { [self] in await drain() } }
        }
    }

    /// Stops scanning (a scan under way ends early).
    func stop() {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.stopped = true
            state.queue = []
            return state.task
        }
        task?.cancel()
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> ([WaitRecord], Set<KafkaTopicPartition>)? in
                guard !state.queue.isEmpty, !state.stopped else {
                    state.task = nil
                    return nil
                }
                defer {
                    state.queue = []
                    state.partitions = []
                }
                return (state.queue, state.partitions)
            }
            guard let (registrations, partitions) = batch else { return }
            do {
                try await scan(registrations, partitions: partitions)
            } catch {
                logger.warning(
                    "looking back for events that ended new waits failed",
                    metadata: [LogKey.error: "\(error)", "waits": "\(registrations.count)"])
            }
        }
    }

    private func scan(_ registrations: [WaitRecord], partitions: Set<KafkaTopicPartition>) async throws {
        guard let since = registrations.compactMap({ $0.wait?.since }).min() else { return }
        var matched: Set<String> = []
        for (topic, held) in Dictionary(grouping: partitions, by: \.topic) {
            let starts = try await lookup.offsets(atOrAfter: since, partitions: held)
            var quiet = logger
            quiet.logLevel = max(logger.logLevel, .error)
            let reader = try KafkaTopicReader(
                configuration: configuration, topic: topic, partitions: held.map(\.partition),
                startOffsets: Dictionary(uniqueKeysWithValues: starts.map { ($0.key.partition, $0.value) }), logger: quiet)
            for await item in reader {
                if Task.isCancelled { break }
                guard case .message(let message) = item else { break }
                let arrivedAt = message.timestamp ?? Date()
                guard arrivedAt >= since, let event = try? CloudEvent.decode(WireRecord(message), receivedAt: arrivedAt) else {
                    continue
                }
                for registration in registrations where !matched.contains(registration.key) {
                    guard registration.wait?.matches(event, arrivedAt: arrivedAt) == true else { continue }
                    try await deliver(registration.matched(by: event, arrivedAt: arrivedAt))
                    matched.insert(registration.key)
                }
            }
            await reader.close()
        }
        if !matched.isEmpty {
            logger.info("events that came before their waits began were found", metadata: ["waits": "\(matched.count)"])
        }
    }
}
