import Foundation
import Synchronization

/// Runs blocking librdkafka calls (commit, flush, metadata, watermarks) on a thread of its own, off
/// Swift's cooperative pool, and resumes the awaiting task with the result.
final class BlockingThread: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        // A serial queue of our own: its thread comes from the overcommit pool, not the cooperative one.
        queue = DispatchQueue(label: label)
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws(KafkaError) -> T) async throws(KafkaError) -> T {
        let result: Result<T, KafkaError> = await withUnsafeContinuation { continuation in
            queue.async {
                do throws(KafkaError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}

/// Runs an async Swift hook from a dedicated (non-cooperative) thread and blocks that thread until it returns.
func blockingWait(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}
