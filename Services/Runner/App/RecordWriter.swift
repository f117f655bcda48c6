import TributaryKafka
import Logging
import ServiceSupport
import Synchronization

/// Writes records to Kafka in batches, in the order they were handed over, and tells each writer
/// when its record is durable (acknowledged with `acks=all`).
///
/// `enqueue` never suspends, so a run can hand over its "started" and "succeeded" records in order
/// and go on; `write` waits for the acknowledgement (task completions, dead letters). A batch that
/// fails is sent again with a growing pause until it succeeds or the writer is stopped, so records
/// stay in order and are never reported durable when they are not.
///
/// A run's started record (``enqueueStarted(_:encode:)``) is encoded only when a batch takes it, and
/// not written at all when a later record of the same run comes first (``enqueue(_:replacing:completion:)``):
/// that record holds everything the started one says (`<p>.runs` is compacted to the newest record
/// of a run), and nothing waits for a started record to be durable. Under load a trivial run's
/// started and final records meet in the queue, so such a run writes one record instead of two.
final class RecordWriter: Sendable {
    /// Told once whether the record is durable.
    typealias Completion = @Sendable (Result<Void, any Error>) -> Void

    /// A run's records on `<p>.runs`: its partition and key.
    struct RunSlot: Hashable, Sendable {
        var partition: Int32
        var key: String
    }

    private enum Entry {
        case message(KafkaProducerMessage, Completion)
        /// A started record, made when a batch takes it.
        case started(@Sendable () throws -> KafkaProducerMessage)
        /// A started record that a later record of its run replaced.
        case replaced
    }

    private struct State {
        var pending: [Entry] = []
        /// Where in `pending` each run's started record waits (it may still be replaced).
        var started: [RunSlot: Int] = [:]
        var waiter: CheckedContinuation<Void, Never>?
        var stopped = false
        /// Started records replaced before a batch took them.
        var replacedCount = 0
    }

    private let state = Mutex(State())
    private let producer: KafkaProducer
    private let logger: Logger
    private let maxBatch = 10_000

    init(producer: KafkaProducer, logger: Logger) {
        self.producer = producer
        self.logger = logger
    }

    /// Hands a record over; `completion` runs once it is durable or can no longer be. With `run`, the
    /// record is a later record of that run: its started record, if a batch has not taken it yet, is
    /// not written.
    func enqueue(_ message: KafkaProducerMessage, replacing run: RunSlot? = nil, completion: @escaping Completion) {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.stopped else { return (false, nil) }
            if let run, let index = state.started.removeValue(forKey: run) {
                state.pending[index] = .replaced
                state.replacedCount += 1
            }
            state.pending.append(.message(message, completion))
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        if !accepted { completion(.failure(KafkaError(code: .shutDown, message: "the run recorder is stopped"))) }
        waiter?.resume()
    }

    /// Hands a run's started record over, to be made by `encode` when a batch takes it, unless a later
    /// record of the run replaces it first. Nobody learns whether it became durable: a run that ends
    /// writes its final record anyway, and an unfinished run without one runs again, as it would
    /// after a crash before the started record was written.
    func enqueueStarted(_ run: RunSlot, encode: @escaping @Sendable () throws -> KafkaProducerMessage) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.stopped else { return nil }
            if let index = state.started[run] {  // an earlier attempt's, still queued
                state.pending[index] = .replaced
                state.replacedCount += 1
            }
            state.started[run] = state.pending.count
            state.pending.append(.started(encode))
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// The started records not written because a later record of their run came first.
    var replacedStartedRecords: Int { state.withLock { $0.replacedCount } }

    /// Writes a record and waits until it is durable.
    func write(_ message: KafkaProducerMessage) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            enqueue(message) { continuation.resume(with: $0) }
        }
    }

    /// Sends batches until ``stop()`` was called and nothing is left.
    func run() async {
        while let batch = await nextBatch() {
            var pause = Duration.milliseconds(50)
            while true {
                do {
                    _ = try await producer.sendAll(batch.map(\.0))
                    for (_, completion) in batch { completion(.success(())) }
                    break
                } catch {
                    if state.withLock({ $0.stopped }) {
                        logger.error(
                            "run records could not be written before shutdown",
                            metadata: [
                                LogKey.error: "\(error)", "records": "\(batch.count)",
                            ])
                        for (_, completion) in batch { completion(.failure(error)) }
                        break
                    }
                    logger.warning(
                        "writing run records failed; retrying",
                        metadata: [
                            LogKey.error: "\(error)", "records": "\(batch.count)", "pause": "\(pause)",
                        ])
                    try? await Task.sleep(for: pause)
                    pause = min(pause * 2, .seconds(2))
                }
            }
        }
    }

    /// After this, records still pending are sent once more and new ones are refused.
    func stop() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.stopped = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    private func nextBatch() async -> [(KafkaProducerMessage, Completion)]? {
        while true {
            let (entries, stopped) = state.withLock { state -> ([Entry], Bool) in
                guard !state.pending.isEmpty else { return ([], state.stopped) }
                // Taken records can no longer be replaced (those left behind keep their place, not their index).
                state.started.removeAll(keepingCapacity: true)
                if state.pending.count <= maxBatch {
                    let taken = state.pending
                    // The next batch is likely as large: one allocation, not one per doubling (each
                    // copying the entries so far).
                    state.pending = []
                    state.pending.reserveCapacity(taken.count)
                    return (taken, state.stopped)
                }
                defer { state.pending.removeFirst(maxBatch) }
                return (Array(state.pending.prefix(maxBatch)), state.stopped)
            }
            let batch = messages(of: entries)
            if !batch.isEmpty { return batch }
            if !entries.isEmpty { continue }
            if stopped { return nil }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.pending.isEmpty || state.stopped { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// The records to send for taken entries: started records made now, replaced ones left out.
    private func messages(of entries: [Entry]) -> [(KafkaProducerMessage, Completion)] {
        var batch: [(KafkaProducerMessage, Completion)] = []
        batch.reserveCapacity(entries.count)
        for entry in entries {
            switch entry {
            case .message(let message, let completion):
                batch.append((message, completion))
            case .started(let encode):
                do { batch.append((try encode(), { _ in })) } catch {
                    logger.error("a started run record could not be encoded", metadata: [LogKey.error: "\(error)"])
                }
            case .replaced:
                break
            }
        }
        return batch
    }
}
