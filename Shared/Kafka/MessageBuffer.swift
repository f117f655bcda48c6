import Foundation

/// The hand-off between a poll thread and the one task iterating a consumer: a bounded queue.
///
/// The poll thread blocks in ``push(_:partition:)`` while the queue is full (backpressure), so memory
/// stays bounded when the application is slower than the topic. Elements of partitions that were
/// revoked since they were fetched are dropped rather than handed out.
final class MessageBuffer<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [(Element, KafkaTopicPartition?)] = []
    private var head = 0
    private var waiter: UnsafeContinuation<Element?, Never>?
    private var finished = false
    private var assigned: Set<KafkaTopicPartition> = []
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    private var count: Int { items.count - head }

    /// Called by the poll thread; blocks while full unless `shouldStop` turns true. False when dropped.
    @discardableResult
    func push(_ element: Element, partition: KafkaTopicPartition?, shouldStop: () -> Bool) -> Bool {
        condition.lock()
        while count >= capacity && !finished {
            if shouldStop() {
                condition.unlock()
                return false
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
        if finished || (partition != nil && !assigned.contains(partition!)) {
            condition.unlock()
            return false
        }
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: element)
            return true
        }
        items.append((element, partition))
        condition.unlock()
        return true
    }

    /// The next element, suspending until one arrives; nil once finished and drained.
    func next() async -> Element? {
        await withUnsafeContinuation { continuation in
            condition.lock()
            if let element = popLocked() {
                condition.unlock()
                continuation.resume(returning: element)
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

    private func popLocked() -> Element? {
        while head < items.count {
            let (element, partition) = items[head]
            head += 1
            if head > 1024 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            if count < capacity / 2 + 1 { condition.broadcast() }
            if let partition, !assigned.contains(partition) { continue }
            return element
        }
        return nil
    }

    func assign(_ partitions: [KafkaTopicPartition]) {
        condition.lock()
        assigned.formUnion(partitions)
        condition.unlock()
    }

    func revoke(_ partitions: [KafkaTopicPartition]) {
        condition.lock()
        assigned.subtract(partitions)
        condition.unlock()
    }

    var assignment: Set<KafkaTopicPartition> {
        condition.lock()
        defer { condition.unlock() }
        return assigned
    }

    /// No more elements will come: the iterator ends after the ones queued.
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
