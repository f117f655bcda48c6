import TributaryKafka
import Logging
import ServiceSupport

/// The leader may no longer write: its transactional producer was fenced (another registrar
/// initialised the registrar's transactional id, so that one leads now) or failed fatally. The term
/// ends and the registrar rejoins its group, where the group decides who leads.
struct LeadershipLost: Error, CustomStringConvertible {
    /// The producer's error.
    var cause: KafkaError

    var description: String {
        cause.isFenced
            ? "fenced: another registrar initialised the transactional id, so it leads now (\(cause.message))"
            : "the transactional producer failed for good: \(cause)"
    }
}

/// The one way a leadership term writes `<p>.sources` and its command results on `<p>.commands`: a
/// transactional producer with the registrar's fixed transactional id (`<p>.registrar.sources`), one
/// transaction per write. Initialising the id fences every earlier leader's producer, so a deposed
/// leader that has not noticed yet cannot write after its successor started.
final class LeaderWriter: Sendable {
    private let producer: KafkaTransactionalProducer

    private init(producer: KafkaTransactionalProducer) { self.producer = producer }

    /// Creates the producer and initialises the transactional id, retrying after `retryBackoff` (doubling,
    /// up to 30 s) until it succeeds or the task is cancelled (then throws `CancellationError`).
    static func start(
        kafka: KafkaConfiguration, transactionalID: String, retryBackoff: Duration, logger: Logger
    ) async throws -> LeaderWriter {
        var delay = retryBackoff
        while true {
            try Task.checkCancellation()
            let producer = try KafkaTransactionalProducer(configuration: kafka, transactionalID: transactionalID, logger: logger)
            do {
                try await producer.initTransactions(timeout: .seconds(10))
                return LeaderWriter(producer: producer)
            } catch {
                await producer.shutdown(timeout: .seconds(1))
                logger.warning(
                    "cannot initialise the registrar's transactional id; retrying",
                    metadata: [
                        "transactionalId": "\(transactionalID)", LogKey.error: "\(error)",
                    ])
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(30))
        }
    }

    /// Writes the records in one transaction, each acknowledged before the next is sent (a command's
    /// result goes last: who sees it finds the state it changed written). Throws ``LeadershipLost`` when
    /// the producer was fenced or failed for good, the ``KafkaError`` when the transaction failed and was
    /// aborted (retry later).
    func commit(_ messages: [KafkaProducerMessage]) async throws {
        do throws(KafkaError) {
            try await producer.transaction(messages, inOrder: true, timeout: .seconds(10))
        } catch {
            if error.isFatal || error.isFenced { throw LeadershipLost(cause: error) }
            throw error
        }
    }

    /// Frees the producer.
    func shutdown() async { await producer.shutdown(timeout: .seconds(5)) }
}
