import Foundation
import Synchronization

/// The hand-off between a poll thread and the one task iterating a consumer: a bounded queue that
/// moves records in batches (one lock and at most one wake-up per batch, not per record).
///
/// The poll thread blocks in ``push(_:shouldStop:)`` while the queue is full (backpressure), so memory
/// stays bounded when the application is slower than the topic. Records of partitions revoked since
/// they were fetched are dropped rather than handed out.
final class MessageBuffer<Element: Sendable>: @unchecked Sendable {
    typealias Item = (element: Element, partition: KafkaTopicPartition?)

    private let condition = NSCondition()
    private var items: [Item] = []
    private var waiter: UnsafeContinuation<(items: [Item], generation: Int)?, Never>?
    private var finished = false
    private var assigned: Set<KafkaTopicPartition> = []
    /// The revocation count right after each partition was last revoked: records taken before that
    /// are stale even if the partition was assigned again since.
    private var lastRevoked: [KafkaTopicPartition: Int] = [:]
    /// Bumped at every revocation, so iterators recheck records they already took.
    private let revocations = Atomic<Int>(0)
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Called by the poll thread; blocks while full unless `shouldStop` turns true. Records of
    /// partitions revoked after `polledAt` (the ``generation`` before they were polled) are dropped.
    func push(_ batch: [Item], polledAt: Int? = nil, shouldStop: () -> Bool) {
        guard !batch.isEmpty else { return }
        condition.lock()
        while items.count >= capacity && !finished {
            if shouldStop() {
                condition.unlock()
                return
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
        if finished {
            condition.unlock()
            return
        }
        let fresh = batch.filter { item in
            guard let partition = item.partition else { return true }
            return assigned.contains(partition) && (polledAt.map { (lastRevoked[partition] ?? 0) <= $0 } ?? true)
        }
        if let waiter, !fresh.isEmpty {
            self.waiter = nil
            let generation = revocations.load(ordering: .acquiring)
            condition.unlock()
            waiter.resume(returning: (fresh, generation))
            return
        }
        items.append(contentsOf: fresh)
        condition.unlock()
    }

    /// Every queued record (suspending until there is one), with the revocation count at that moment;
    /// nil once finished and drained.
    func take() async -> (items: [Item], generation: Int)? {
        await withUnsafeContinuation { continuation in
            condition.lock()
            if !items.isEmpty {
                let taken = items
                items = []
                condition.broadcast()
                let generation = revocations.load(ordering: .acquiring)
                condition.unlock()
                continuation.resume(returning: (taken, generation))
            } else if finished {
                condition.unlock()
                continuation.resume(returning: nil)
            } else {
                precondition(waiter == nil, "only one task may iterate a Kafka consumer at a time")
                waiter = continuation
                condition.unlock()
            }
        }
    }

    var generation: Int { revocations.load(ordering: .acquiring) }

    func isAssigned(_ partition: KafkaTopicPartition) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return assigned.contains(partition)
    }

    /// Whether a record of `partition` taken at revocation count `generation` is still current:
    /// the partition is assigned and was not revoked (and perhaps assigned again) since.
    func isCurrent(_ partition: KafkaTopicPartition, takenAt generation: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return assigned.contains(partition) && (lastRevoked[partition] ?? 0) <= generation
    }

    func assign(_ partitions: [KafkaTopicPartition]) {
        condition.lock()
        assigned.formUnion(partitions)
        condition.unlock()
    }

    func revoke(_ partitions: [KafkaTopicPartition]) {
        condition.lock()
        assigned.subtract(partitions)
        items.removeAll { $0.partition.map(partitions.contains) ?? false }
        let generation = revocations.add(1, ordering: .acquiringAndReleasing).newValue
        for partition in partitions { lastRevoked[partition] = generation }
        condition.unlock()
    }

    var assignment: Set<KafkaTopicPartition> {
        condition.lock()
        defer { condition.unlock() }
        return assigned
    }

    /// No more records will come: iteration ends after the ones queued.
    func finish() {
        condition.lock()
        finished = true
        let waiter = self.waiter
        self.waiter = nil
        condition.broadcast()
        condition.unlock()
        waiter?.resume(returning: nil)
    }
}

/// Iterates a ``MessageBuffer`` a batch at a time, dropping records whose partition was revoked since.
struct MessageBufferIterator<Element: Sendable> {
    let buffer: MessageBuffer<Element>
    private var batch: [MessageBuffer<Element>.Item] = []
    private var index = 0
    private var generation = 0

    init(buffer: MessageBuffer<Element>) { self.buffer = buffer }

    mutating func next() async -> Element? {
        while true {
            if index < batch.count {
                let item = batch[index]
                index += 1
                if let partition = item.partition, buffer.generation != generation,
                    !buffer.isCurrent(partition, takenAt: generation)
                {
                    continue
                }
                return item.element
            }
            guard let taken = await buffer.take() else { return nil }
            batch = taken.items
            index = 0
            generation = taken.generation
        }
    }
    /// The rest of the batch at hand, or the next one (suspending until there is one): what a
    /// consumer that writes in batches takes at once. Nil once finished and drained.
    mutating func nextBatch() async -> [Element]? {
        while true {
            if index < batch.count {
                let rest = batch[index...].filter { item in
                    guard let partition = item.partition, buffer.generation != generation else { return true }
                    return buffer.isCurrent(partition, takenAt: generation)
                }
                index = batch.count
                if !rest.isEmpty { return rest.map(\.element) }
                continue
            }
            guard let taken = await buffer.take() else { return nil }
            batch = taken.items
            index = 0
            generation = taken.generation
        }
    }
}
