import Foundation
import Logging
import Synchronization

/// Producer settings beyond the connection.
public struct KafkaProducerConfiguration: Sendable, Hashable {
    /// How long a record may wait for the broker's acknowledgement before its send fails (`message.timeout.ms`).
    public var deliveryTimeout: Duration = .seconds(10)
    /// How long librdkafka waits to batch records together (`linger.ms`); small keeps latency low.
    public var linger: Duration = .milliseconds(2)
    /// The most records waiting in the local queue before a send fails with `queueFull`.
    public var maximumQueuedMessages: Int = 1_000_000
    /// Produce requests in flight per broker connection (`max.in.flight.requests.per.connection`; at
    /// most 5 with idempotence). 1 with no linger batches by load: a lone record goes at once, and
    /// records that come while a request is in flight go together in the next.
    public var maximumInFlight: Int = 5
    /// Extra librdkafka properties for this producer only.
    public var properties: [String: String] = [:]

    public init() {}

    var librdkafkaProperties: [String: String] {
        var result = [
            "enable.idempotence": "true",
            "acks": "all",
            // librdkafka takes fractions of a millisecond here ("0.5").
            "linger.ms": "\(Double(linger.wholeMicroseconds) / 1000)",
            "message.timeout.ms": "\(max(1, deliveryTimeout.wholeMilliseconds))",
            "queue.buffering.max.messages": "\(maximumQueuedMessages)",
            "max.in.flight.requests.per.connection": "\(maximumInFlight)",
            "queue.buffering.max.kbytes": "1048576",
            // A down broker is retried at most every second, so queued records time out on time too.
            "reconnect.backoff.max.ms": "1000",
        ]
        result.merge(properties) { _, new in new }
        return result
    }
}

/// An idempotent, `acks=all` producer. ``send(_:)`` suspends until the broker acknowledged the record
/// (and returns where it was written) or throws: it never reports a success the broker did not give.
///
/// Many concurrent sends from many tasks batch together inside librdkafka. Delivery reports are served
/// by a dedicated poll thread. Call ``shutdown(timeout:)`` to flush and stop.
public final class KafkaProducer: Sendable {
    let client: RdKafkaClient
    let blocking: BlockingThread
    private let lifecycle: Lifecycle
    private let logger: Logger

    /// State shared with the poll thread.
    private final class Lifecycle: Sendable {
        let state = Mutex(State.running)
        /// Calls into the instance in progress outside the poll thread; the instance is freed only at zero.
        let activeCalls = Atomic<Int>(0)
    }

    private enum State {
        case running
        /// Shutdown was asked: the poll thread flushes within the timeout, frees the instance and resumes the waiters.
        case stopping(flushTimeoutMs: Int32, waiters: [UnsafeContinuation<Void, Never>])
        case stopped

        var isRunning: Bool { if case .running = self { true } else { false } }
    }

    /// Creates the producer and starts its poll thread. Throws on invalid configuration.
    public init(
        configuration: KafkaConfiguration,
        producerConfiguration: KafkaProducerConfiguration = .init(),
        logger: Logger = Logger(label: "tributary.kafka.producer")
    ) throws(KafkaError) {
        let context = RdKafkaContext(logger: logger)
        let client = try RdKafkaClient(
            kind: .producer,
            settings: configuration.librdkafkaSettings(extra: producerConfiguration.librdkafkaProperties),
            context: context)
        let lifecycle = Lifecycle()
        self.client = client
        self.lifecycle = lifecycle
        self.blocking = BlockingThread(label: "tributary.kafka.producer.blocking")
        self.logger = logger
        let thread = Thread {
            // Serve delivery reports until shutdown, then flush, free the instance and wake the waiters.
            var flushTimeoutMs: Int32 = 0
            while true {
                let running = lifecycle.state.withLock { current in
                    if case .stopping(let timeout, _) = current { flushTimeoutMs = timeout }
                    return current.isRunning
                }
                guard running else { break }
                client.poll(timeoutMs: 100)
            }
            while lifecycle.activeCalls.load(ordering: .acquiring) > 0 { usleep(100) }
            if let error = client.flush(timeoutMs: flushTimeoutMs) {
                logger.warning(
                    "records unacknowledged at shutdown fail now",
                    metadata: ["error": "\(error)", "queued": "\(client.outQueueLength)"])
                client.purgeQueued()
                client.poll(timeoutMs: 0)
            }
            client.destroy()
            let waiters = lifecycle.state.withLock { current -> [UnsafeContinuation<Void, Never>] in
                defer { current = .stopped }
                if case .stopping(_, let waiters) = current { return waiters }
                return []
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.name = "kafka-producer-poll"
        thread.start()
    }

    /// Sends one record and waits for the broker's acknowledgement (as configured: `acks=all`).
    /// Throws a ``KafkaError`` when it was refused, timed out (`deliveryTimeout`) or the producer is shut down.
    @discardableResult
    public func send(_ message: KafkaProducerMessage) async throws -> KafkaDeliveryReport {
        if let fatal = client.context.fatalError.withLock({ $0 }) { throw fatal }
        return try await withUnsafeThrowingContinuation { continuation in
            guard enter() else { return continuation.resume(throwing: KafkaError.shutDownError) }
            defer { leave() }
            let promise = Unmanaged.passRetained(SinglePromise(continuation, topic: message.topic))
            if let error = client.produce(message, opaque: promise.toOpaque()) {
                promise.release()
                continuation.resume(throwing: error)
            }
        }
    }

    /// Sends many records at once and waits until every one was acknowledged or failed; throws the
    /// first failure then. The cheapest way to send a batch: one suspension for the whole batch.
    public func sendAll(_ messages: [KafkaProducerMessage]) async throws -> [KafkaDeliveryReport] {
        guard !messages.isEmpty else { return [] }
        if let fatal = client.context.fatalError.withLock({ $0 }) { throw fatal }
        let result: Result<[KafkaDeliveryReport], KafkaError> = await withUnsafeContinuation { continuation in
            let batch = BatchPromise(continuation, messages: messages)
            guard enter() else { return batch.failAll(KafkaError.shutDownError) }
            defer { leave() }
            for index in messages.indices {
                let promise = Unmanaged.passRetained(BatchPromise.Slot(batch: batch, index: index))
                if let error = client.produce(messages[index], opaque: promise.toOpaque()) {
                    promise.release()
                    batch.fail(index, error)
                }
            }
        }
        return try result.get()
    }

    /// Marks a call into the instance; false once shutdown began (the instance may be gone).
    func enter() -> Bool {
        lifecycle.activeCalls.add(1, ordering: .acquiringAndReleasing)
        if lifecycle.state.withLock({ $0.isRunning }) { return true }
        leave()
        return false
    }

    func leave() { lifecycle.activeCalls.subtract(1, ordering: .acquiringAndReleasing) }

    /// Whether librdkafka can currently reach a broker: a metadata request answered within the timeout.
    public func isConnected(timeout: Duration = .seconds(2)) async -> Bool {
        guard enter() else { return false }
        defer { leave() }
        let client = client
        return (try? await blocking.run { () throws(KafkaError) in try client.topics(timeoutMs: Int32(timeout.wholeMilliseconds)) }) != nil
    }

    /// Waits until every record sent so far was acknowledged or failed.
    public func flush(timeout: Duration = .seconds(10)) async throws(KafkaError) {
        guard enter() else { throw KafkaError.shutDownError }
        defer { leave() }
        let client = client
        let milliseconds = Int32(timeout.wholeMilliseconds)
        try await blocking.run { () throws(KafkaError) in
            if let error = client.flush(timeoutMs: milliseconds) { throw error }
        }
    }

    /// Flushes (records still unacknowledged after `timeout` fail with an error), stops the poll thread
    /// and frees the producer. Later sends throw.
    public func shutdown(timeout: Duration = .seconds(10)) async {
        let milliseconds = Int32(timeout.wholeMilliseconds)
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let resumeNow = lifecycle.state.withLock { current -> Bool in
                switch current {
                case .running:
                    current = .stopping(flushTimeoutMs: milliseconds, waiters: [continuation])
                    return false
                case .stopping(let timeout, let waiters):
                    current = .stopping(flushTimeoutMs: timeout, waiters: waiters + [continuation])
                    return false
                case .stopped:
                    return true
                }
            }
            if resumeNow { continuation.resume() }
        }
    }

    deinit {
        // Dropped without shutdown: the poll thread flushes briefly and frees the instance.
        lifecycle.state.withLock { current in
            if current.isRunning { current = .stopping(flushTimeoutMs: 5000, waiters: []) }
        }
    }
}

extension Duration {
    /// Whole microseconds, rounded down.
    var wholeMicroseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }

    /// Whole milliseconds, rounded down.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// One awaited ``KafkaProducer/send(_:)``.
private final class SinglePromise: DeliveryPromise {
    let continuation: UnsafeContinuation<KafkaDeliveryReport, any Error>
    let topic: String

    init(_ continuation: UnsafeContinuation<KafkaDeliveryReport, any Error>, topic: String) {
        self.continuation = continuation
        self.topic = topic
    }

    override func complete(_ outcome: Result<(partition: Int32, offset: Int64), KafkaError>) {
        switch outcome {
        case .success(let (partition, offset)):
            continuation.resume(returning: KafkaDeliveryReport(topic: topic, partition: partition, offset: offset))
        case .failure(let error):
            continuation.resume(throwing: error)
        }
    }
}

/// The records of one ``KafkaProducer/sendAll(_:)``: resumes its caller once after the last report.
private final class BatchPromise: @unchecked Sendable {
    private let continuation: UnsafeContinuation<Result<[KafkaDeliveryReport], KafkaError>, Never>
    private let topics: [String]
    private let state: Mutex<(remaining: Int, reports: [KafkaDeliveryReport?], error: KafkaError?)>

    init(_ continuation: UnsafeContinuation<Result<[KafkaDeliveryReport], KafkaError>, Never>, messages: [KafkaProducerMessage]) {
        self.continuation = continuation
        topics = messages.map(\.topic)
        state = Mutex((messages.count, Array(repeating: nil, count: messages.count), nil))
    }

    func succeed(_ index: Int, partition: Int32, offset: Int64) {
        settle { $0.reports[index] = KafkaDeliveryReport(topic: topics[index], partition: partition, offset: offset) }
    }

    func fail(_ index: Int, _ error: KafkaError) {
        settle { if $0.error == nil { $0.error = error } }
    }

    func failAll(_ error: KafkaError) {
        continuation.resume(returning: .failure(error))
    }

    private func settle(_ update: (inout (remaining: Int, reports: [KafkaDeliveryReport?], error: KafkaError?)) -> Void) {
        let finished = state.withLock { state -> Result<[KafkaDeliveryReport], KafkaError>? in
            update(&state)
            state.remaining -= 1
            guard state.remaining == 0 else { return nil }
            if let error = state.error { return .failure(error) }
            return .success(state.reports.map { $0! })
        }
        if let finished { continuation.resume(returning: finished) }
    }

    /// One record of the batch.
    final class Slot: DeliveryPromise {
        let batch: BatchPromise
        let index: Int

        init(batch: BatchPromise, index: Int) {
            self.batch = batch
            self.index = index
        }

        override func complete(_ outcome: Result<(partition: Int32, offset: Int64), KafkaError>) {
            switch outcome {
            case .success(let (partition, offset)): batch.succeed(index, partition: partition, offset: offset)
            case .failure(let error): batch.fail(index, error)
            }
        }
    }
}
