import Foundation
import Logging
import Synchronization

/// Consumer-group settings.
public struct KafkaConsumerConfiguration: Sendable, Hashable {
    /// The consumer group (`group.id`).
    public var groupID: String
    /// The topics to subscribe to.
    public var topics: [String]
    /// Where a partition without a committed offset starts: `earliest` or `latest`.
    public var autoOffsetReset: String = "earliest"
    /// How long the group waits for a silent member before giving its partitions to others.
    public var sessionTimeout: Duration = .seconds(10)
    /// How often stored offsets are committed in the background (``KafkaConsumer/commit()`` commits at once).
    public var autoCommitInterval: Duration = .seconds(1)
    /// Records fetched ahead of the application before the poll thread waits.
    public var maximumBufferedMessages: Int = 10_000
    /// Extra librdkafka properties for this consumer only.
    public var properties: [String: String] = [:]

    public init(groupID: String, topics: [String]) {
        self.groupID = groupID
        self.topics = topics
    }

    var librdkafkaProperties: [String: String] {
        var result = [
            "group.id": groupID,
            "enable.auto.commit": "true",
            "enable.auto.offset.store": "false",
            "auto.commit.interval.ms": "\(max(1, autoCommitInterval.wholeMilliseconds))",
            "auto.offset.reset": autoOffsetReset,
            "session.timeout.ms": "\(sessionTimeout.wholeMilliseconds)",
            "heartbeat.interval.ms": "\(max(100, sessionTimeout.wholeMilliseconds / 5))",
            "fetch.wait.max.ms": "100",
            "enable.partition.eof": "false",
        ]
        result.merge(properties) { _, new in new }
        return result
    }
}

/// What an application does when the group moves partitions.
///
/// `onAssign` runs before any record of the new partitions is fetched (restore state there);
/// `onRevoke` runs before the partitions are committed and released (finish in-flight work and mark
/// it done there). Both run while the consumer's poll thread waits for them.
///
/// `startOffsets`, when set, is called first with the assigned partitions that the group never
/// committed; the offsets it returns are where they start (instead of `auto.offset.reset`), and they
/// are committed at once, so a restart resumes there instead of choosing again.
public struct KafkaRebalanceHandler: Sendable {
    /// Partitions just assigned, before any of their records is fetched.
    public var onAssign: @Sendable ([KafkaTopicPartition]) async -> Void
    /// Partitions being revoked, before their offsets are committed and they are released.
    public var onRevoke: @Sendable ([KafkaTopicPartition]) async -> Void
    /// Where partitions without a committed offset start (next offset to read), if the application decides.
    public var startOffsets: (@Sendable ([KafkaTopicPartition]) async -> [KafkaTopicPartition: Int64])?

    /// A handler; every hook is optional.
    public init(
        onAssign: @escaping @Sendable ([KafkaTopicPartition]) async -> Void = { _ in },
        onRevoke: @escaping @Sendable ([KafkaTopicPartition]) async -> Void = { _ in },
        startOffsets: (@Sendable ([KafkaTopicPartition]) async -> [KafkaTopicPartition: Int64])? = nil
    ) {
        self.onAssign = onAssign
        self.onRevoke = onRevoke
        self.startOffsets = startOffsets
    }
}

/// A member of a consumer group, as an `AsyncSequence` of records (iterate it from one task).
///
/// At-least-once by design: offsets move only when the application calls ``markDone(_:)`` for a record
/// (the next offset is stored and committed in the background and on revocation) or ``commit()``.
/// ``close()`` finishes the group membership cleanly: the revocation handler runs, offsets are
/// committed, and the member leaves so others take its partitions at once.
public final class KafkaConsumer: AsyncSequence, Sendable {
    public typealias Element = KafkaMessage

    private let client: RdKafkaClient
    private let buffer: MessageBuffer<KafkaMessage>
    private let blocking: BlockingThread
    private let lifecycle: ConsumerLifecycle

    /// Creates the consumer, subscribes, and starts its poll thread.
    public init(
        configuration: KafkaConfiguration,
        consumerConfiguration: KafkaConsumerConfiguration,
        rebalanceHandler: KafkaRebalanceHandler? = nil,
        logger: Logger = Logger(label: "tributary.kafka.consumer")
    ) throws(KafkaError) {
        let buffer = MessageBuffer<KafkaMessage>(capacity: consumerConfiguration.maximumBufferedMessages)
        let context = RdKafkaContext(
            logger: logger,
            onAssign: { partitions, uncommitted in
                logger.debug("partitions assigned", metadata: ["partitions": "\(partitions)"])
                let starts = Mutex<[KafkaTopicPartition: Int64]>([:])
                if let rebalanceHandler {
                    blockingWait {
                        if let startOffsets = rebalanceHandler.startOffsets, !uncommitted.isEmpty {
                            let chosen = await startOffsets(uncommitted)
                            starts.withLock { $0 = chosen }
                        }
                        await rebalanceHandler.onAssign(partitions)
                    }
                }
                buffer.assign(partitions)
                return starts.withLock { $0 }
            },
            onRevoke: { partitions in
                logger.debug("partitions revoked", metadata: ["partitions": "\(partitions)"])
                buffer.revoke(partitions)
                if let rebalanceHandler { blockingWait { await rebalanceHandler.onRevoke(partitions) } }
            },
            resolvesStartOffsets: rebalanceHandler?.startOffsets != nil)
        let settings = configuration.librdkafkaSettings(extra: consumerConfiguration.librdkafkaProperties)
        try KafkaConfiguration.refuseUnsupported(settings)
        let client = try RdKafkaClient(kind: .consumer, settings: settings, context: context)
        do {
            try client.subscribe(consumerConfiguration.topics)
        } catch {
            client.destroy()
            throw error
        }
        self.client = client
        self.buffer = buffer
        self.blocking = BlockingThread(label: "tributary.kafka.consumer.blocking")
        let lifecycle = ConsumerLifecycle()
        self.lifecycle = lifecycle
        let thread = Thread {
            while !lifecycle.stopRequested {
                var batch: [MessageBuffer<KafkaMessage>.Item] = []
                let polledAt = buffer.generation
                for polled in client.consumerPoll(timeoutMs: 100) {
                    switch polled {
                    case .message(let message):
                        batch.append((message, message.topicPartition))
                    case .partitionEnd:
                        break
                    case .error(let error):
                        logger.warning("consumer error", metadata: ["error": "\(error)"])
                    }
                }
                buffer.push(batch, polledAt: polledAt) { lifecycle.stopRequested }
            }
            // Leaving the group runs the revocation handler, which may still mark and commit offsets.
            client.closeConsumer()
            lifecycle.close()
            lifecycle.waitForCalls()
            client.destroy()
            buffer.finish()
            lifecycle.finish()
        }
        thread.name = "kafka-consumer-poll"
        thread.start()
    }

    /// An iterator over the records; only one task may iterate at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: MessageBufferIterator<KafkaMessage>
        public mutating func next() async -> KafkaMessage? { await base.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: MessageBufferIterator(buffer: buffer)) }

    /// The partitions this member holds now.
    public var assignment: Set<KafkaTopicPartition> { buffer.assignment }

    /// Marks a record processed: its partition's next offset to commit becomes `offset + 1`.
    /// Records of a partition must be marked in order (mark the highest contiguous one).
    public func markDone(_ message: KafkaMessage) throws(KafkaError) {
        try markDone(message.topicPartition, offset: message.offset)
    }

    /// Marks every record of `partition` up to and including `offset` processed.
    public func markDone(_ partition: KafkaTopicPartition, offset: Int64) throws(KafkaError) {
        guard lifecycle.enter() else { throw KafkaError.shutDownError }
        defer { lifecycle.leave() }
        try client.storeOffset(partition, offset: offset + 1)
    }

    /// Commits the offsets marked so far and waits for the group coordinator to confirm.
    public func commit() async throws(KafkaError) {
        guard lifecycle.enter() else { throw KafkaError.shutDownError }
        defer { lifecycle.leave() }
        let client = client
        try await blocking.run { () throws(KafkaError) in try client.commitStored() }
    }

    /// Commits these offsets (each partition's next offset to read) now, whatever was marked, and
    /// stores them as marked: moving a partition back (a rewind, a handover) or forward.
    public func commit(_ offsets: [KafkaTopicPartition: Int64]) async throws(KafkaError) {
        guard lifecycle.enter() else { throw KafkaError.shutDownError }
        defer { lifecycle.leave() }
        let client = client
        for (partition, offset) in offsets { try client.storeOffset(partition, offset: offset) }
        try await blocking.run { () throws(KafkaError) in try client.commit(offsets) }
    }

    /// Moves held partitions to these offsets and commits them: the next records of each partition
    /// come from there (a rewind). Records fetched before may still arrive from the buffer; the
    /// application tells them apart by their offsets.
    ///
    /// The offsets are stored and committed before the seek: the records read again may be marked
    /// done at once, and a store after the seek would move those marks back to the rewind (a
    /// restart would then read them a third time).
    ///
    /// A partition assigned a moment ago may not be fetching yet (the assignment's hooks still run, or
    /// librdkafka still fetches the group's committed offsets: it answers `__STATE` or
    /// `__UNKNOWN_PARTITION`); had the seek been dropped, the fetcher would
    /// start from those offsets and the rewind would re-deliver nothing. Such partitions are sought
    /// again, backing off, until they take the seek or `timeout` passes (then this throws). A seek the
    /// fetcher did not confirm in time (a busy machine: `__TIMED_OUT`) is sought again too: seeking
    /// the same offset twice is harmless.
    public func seek(_ offsets: [KafkaTopicPartition: Int64], timeout: Duration = .seconds(15)) async throws(KafkaError) {
        guard lifecycle.enter() else { throw KafkaError.shutDownError }
        defer { lifecycle.leave() }
        let client = client
        let retried: Set<KafkaError.Code> = [.state, .unknownPartition, .timedOut]
        for (partition, offset) in offsets {
            do {
                try client.storeOffset(partition, offset: offset)
            } catch  where error.code == .unknownPartition || error.code == .state {
                // Still being assigned: nothing was stored for it this assignment, so the commit
                // below is all it needs.
            }
        }
        try await blocking.run { () throws(KafkaError) in try client.commit(offsets) }
        let deadline = ContinuousClock.now + timeout
        var pending = offsets
        var backoff = Duration.milliseconds(10)
        while !pending.isEmpty {
            let sought = pending
            let callTimeout = Int32(Swift.max(Swift.min((deadline - ContinuousClock.now).wholeMilliseconds, 3_000), 100))
            let failed: [KafkaTopicPartition: KafkaError]
            do {
                failed = try await blocking.run { () throws(KafkaError) in try client.seek(sought, timeoutMs: callTimeout) }
            } catch  where error.code == .timedOut {
                failed = sought.mapValues { _ in error }
            }
            if let other = failed.values.first(where: { !retried.contains($0.code) }) { throw other }
            pending = pending.filter { failed[$0.key] != nil }
            guard !pending.isEmpty else { break }
            guard ContinuousClock.now + backoff < deadline else { throw failed.values.first! }
            // librdkafka tells no one when a partition's fetcher starts: a bounded backoff it is.
            try? await Task.sleep(for: backoff)
            backoff = Swift.min(backoff * 2, .milliseconds(250))
        }
    }

    /// The group's committed offsets for these partitions (nil where none).
    public func committedOffsets(
        _ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64?] {
        guard lifecycle.enter() else { throw KafkaError.shutDownError }
        defer { lifecycle.leave() }
        let client = client
        let offsets = try await blocking.run { () throws(KafkaError) in
            try client.committed(partitions, timeoutMs: Int32(timeout.wholeMilliseconds))
        }
        return offsets.mapValues { $0 >= 0 ? $0 : nil }
    }

    /// The low and high watermarks of a partition, as its leader reports them now (for consumer lag).
    public func watermarks(
        _ partition: KafkaTopicPartition, timeout: Duration = .seconds(5)
    ) async throws(KafkaError) -> (low: Int64, high: Int64) {
        guard lifecycle.enter() else { throw KafkaError.shutDownError }
        defer { lifecycle.leave() }
        let client = client
        return try await blocking.run { () throws(KafkaError) in
            try client.watermarks(partition, timeoutMs: Int32(timeout.wholeMilliseconds))
        }
    }

    /// Leaves the group: the revocation handler runs, marked offsets are committed, iteration ends.
    public func close() async {
        await lifecycle.stop()
    }

    deinit {
        lifecycle.requestStop()
    }
}

/// Stop flag, in-flight calls and close waiters shared between a consumer and its poll thread.
final class ConsumerLifecycle: Sendable {
    private struct State {
        var stopRequested = false
        /// The group was left; only freeing the instance remains, so no call may enter any more.
        var closed = false
        var finished = false
        var waiters: [UnsafeContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let activeCalls = Atomic<Int>(0)

    var stopRequested: Bool { state.withLock { $0.stopRequested } }

    /// Marks a call into the instance; false once it is closed. Calls stay allowed while the
    /// consumer leaves its group, so a revocation handler can still mark and commit offsets.
    func enter() -> Bool {
        activeCalls.add(1, ordering: .acquiringAndReleasing)
        if !state.withLock({ $0.closed }) { return true }
        leave()
        return false
    }

    /// On the poll thread, after leaving the group: no call may enter from now on.
    func close() { state.withLock { $0.closed = true } }

    func leave() { activeCalls.subtract(1, ordering: .acquiringAndReleasing) }

    /// On the poll thread: waits until no call is inside the instance, before it is freed.
    func waitForCalls() {
        while activeCalls.load(ordering: .acquiring) > 0 { usleep(100) }
    }

    func requestStop() { state.withLock { $0.stopRequested = true } }

    /// Asks the poll thread to stop and waits until it has closed and freed the instance.
    func stop() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                state.stopRequested = true
                if state.finished { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// On the poll thread, at the very end.
    func finish() {
        let waiters = state.withLock { state -> [UnsafeContinuation<Void, Never>] in
            state.finished = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
