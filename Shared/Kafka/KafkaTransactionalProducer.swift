import Logging

/// A transactional producer (`transactional.id`): its records become visible to `read_committed`
/// readers all together when a transaction commits, or never.
///
/// The transactional id is the point: ``initTransactions(timeout:)`` fences every earlier producer
/// with the same id, so a writer that was replaced (e.g. a deposed leader that has not noticed yet)
/// fails with a fatal error whose ``KafkaError/isFenced`` is true instead of writing after its
/// successor. A fenced or otherwise fatally failed producer can only be shut down: make a new one.
///
/// Use it from one task at a time: begin, send, commit (or ``transaction(_:timeout:)`` for all three).
/// The blocking librdkafka calls run on the producer's own thread, never on the cooperative pool.
///
/// Note: librdkafka's 2.0.2 mock cluster (``EmbeddedKafkaCluster``) answers the transaction calls but
/// gives every `InitProducerId` a new producer id, so on it a second producer with the same id does
/// not fence the first; a real broker does. Tests inject the broker's fencing answer instead.
public final class KafkaTransactionalProducer: Sendable {
    private let producer: KafkaProducer
    /// The transactional id (`transactional.id`).
    public let transactionalID: String

    /// Creates the producer (idempotent, `acks=all`, with `transactional.id`); call
    /// ``initTransactions(timeout:)`` before the first transaction.
    public init(
        configuration: KafkaConfiguration,
        transactionalID: String,
        transactionTimeout: Duration = .seconds(60),
        producerConfiguration: KafkaProducerConfiguration = .init(),
        logger: Logger = Logger(label: "tributary.kafka.transactional-producer")
    ) throws(KafkaError) {
        guard !transactionalID.isEmpty else { throw .configuration("transactionalID is empty: a transactional producer needs an id") }
        var settings = producerConfiguration
        settings.properties["transactional.id"] = transactionalID
        settings.properties["transaction.timeout.ms"] = "\(max(1000, transactionTimeout.wholeMilliseconds))"
        producer = try KafkaProducer(configuration: configuration, producerConfiguration: settings, logger: logger)
        self.transactionalID = transactionalID
    }

    /// Registers the transactional id with the cluster: fences earlier producers with the same id and
    /// completes or aborts their open transaction. A retriable error (e.g. a timeout) may be retried.
    public func initTransactions(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await blocking("init transactions") { (client: RdKafkaClient) throws(KafkaError) in
            try client.initTransactions(timeoutMs: Int32(timeout.wholeMilliseconds))
        }
    }

    /// Starts a transaction. Records sent until ``commitTransaction(timeout:)`` belong to it.
    public func beginTransaction() throws(KafkaError) {
        guard producer.enter() else { throw KafkaError.shutDownError }
        defer { producer.leave() }
        do {
            try producer.client.beginTransaction()
        } catch {
            throw fatalOr(error)
        }
    }

    /// Sends a record in the current transaction and waits for the partition leader's acknowledgement
    /// (it is visible to `read_committed` readers only after the commit).
    @discardableResult
    public func send(_ message: KafkaProducerMessage) async throws(KafkaError) -> KafkaDeliveryReport {
        do {
            return try await producer.send(message)
        } catch {
            throw fatalOr(error)
        }
    }

    /// Sends records in the current transaction; returns once every one was acknowledged, or throws the first failure.
    public func sendAll(_ messages: [KafkaProducerMessage]) async throws(KafkaError) -> [KafkaDeliveryReport] {
        do {
            return try await producer.sendAll(messages)
        } catch {
            throw fatalOr(error)
        }
    }

    /// Commits the current transaction. On an error with ``KafkaError/requiresAbort``, call
    /// ``abortTransaction(timeout:)``; a retriable one may be retried; a fatal one ends this producer.
    public func commitTransaction(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await blocking("commit transaction") { (client: RdKafkaClient) throws(KafkaError) in
            try client.commitTransaction(timeoutMs: Int32(timeout.wholeMilliseconds))
        }
    }

    /// Aborts the current transaction: none of its records becomes visible to `read_committed` readers.
    public func abortTransaction(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await blocking("abort transaction") { (client: RdKafkaClient) throws(KafkaError) in
            try client.abortTransaction(timeoutMs: Int32(timeout.wholeMilliseconds))
        }
    }

    /// Writes `messages` in one transaction: begin, send, commit. A retriable commit failure is retried
    /// (up to 3 commits); any other non-fatal failure aborts the transaction and is thrown (nothing was
    /// written, and the same call may be made again). A fatal error is thrown as is: this producer is done.
    ///
    /// `inOrder` sends each record only once the one before it was acknowledged, so whoever sees a
    /// record of the transaction can rely on the earlier ones being written too (e.g. a command's result
    /// after the state it changed), where the broker shows records before the commit, as the mock does.
    @discardableResult
    public func transaction(
        _ messages: [KafkaProducerMessage], inOrder: Bool = false, timeout: Duration = .seconds(30)
    ) async throws(KafkaError) -> [KafkaDeliveryReport] {
        try beginTransaction()
        var reports: [KafkaDeliveryReport] = []
        do throws(KafkaError) {
            if inOrder {
                for message in messages { reports.append(try await send(message)) }
            } else {
                reports = try await sendAll(messages)
            }
        } catch {
            throw await abandon(error, timeout: timeout)
        }
        var commits = 0
        while true {
            do throws(KafkaError) {
                try await commitTransaction(timeout: timeout)
                return reports
            } catch {
                commits += 1
                if error.isFatal || error.requiresAbort || !error.isRetriable || commits >= 3 {
                    throw await abandon(error, timeout: timeout)
                }
            }
        }
    }

    /// After a failed send or commit: aborts unless the producer is dead; returns the error to throw.
    private func abandon(_ error: KafkaError, timeout: Duration) async -> KafkaError {
        let error = fatalOr(error)
        guard !error.isFatal else { return error }
        do throws(KafkaError) {
            try await abortTransaction(timeout: timeout)
        } catch {
            return fatalOr(error)
        }
        return error
    }

    /// Flushes and frees the producer. An open transaction is left to the broker (it aborts it after
    /// the transaction timeout, or at once when the next producer with this id initialises).
    public func shutdown(timeout: Duration = .seconds(5)) async {
        await producer.shutdown(timeout: timeout)
    }

    /// The producer's fatal error once librdkafka raised one (it says why, e.g. fenced), else `error`.
    private func fatalOr(_ error: any Error) -> KafkaError {
        if let fatal = producer.client.context.fatalError.withLock({ $0 }) { return fatal }
        return error as? KafkaError ?? KafkaError(code: .fatal, message: "\(error)")
    }

    private func blocking(_ what: String, _ body: @escaping @Sendable (RdKafkaClient) throws(KafkaError) -> Void) async throws(KafkaError) {
        guard producer.enter() else { throw KafkaError.shutDownError }
        defer { producer.leave() }
        let client = producer.client
        do {
            try await producer.blocking.run { () throws(KafkaError) in try body(client) }
        } catch {
            throw fatalOr(error)
        }
    }
}
