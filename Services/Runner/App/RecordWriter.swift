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
final class RecordWriter: Sendable {
    /// Told once whether the record is durable.
    typealias Completion = @Sendable (Result<Void, any Error>) -> Void

    private struct State {
        var pending: [(KafkaProducerMessage, Completion)] = []
        var waiter: CheckedContinuation<Void, Never>?
        var stopped = false
    }

    private let state = Mutex(State())
    private let producer: KafkaProducer
    private let logger: Logger
    private let maxBatch = 10_000

    init(producer: KafkaProducer, logger: Logger) {
        self.producer = producer
        self.logger = logger
    }

    /// Hands a record over; `completion` runs once it is durable or can no longer be.
    func enqueue(_ message: KafkaProducerMessage, completion: @escaping Completion) {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.stopped else { return (false, nil) }
            state.pending.append((message, completion))
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        if !accepted { completion(.failure(KafkaError(code: .shutDown, message: "the run recorder is stopped"))) }
        waiter?.resume()
    }

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
            let (batch, stopped) = state.withLock { state -> ([(KafkaProducerMessage, Completion)], Bool) in
                guard !state.pending.isEmpty else { return ([], state.stopped) }
                if state.pending.count <= maxBatch {
                    defer { state.pending = [] }
                    return (state.pending, state.stopped)
                }
                defer { state.pending.removeFirst(maxBatch) }
                return (Array(state.pending.prefix(maxBatch)), state.stopped)
            }
            if !batch.isEmpty { return batch }
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
}
