import Synchronization

/// A signal raised once: every ``wait()`` returns from then on. Waiting suspends (no polling) and ends
/// early when the waiting task is cancelled. ``KafkaTableView`` raises one when it has read everything
/// that was on its topic when it started; the registrar's command follower does the same, and the
/// runner uses one to ask its long-lived child tasks to stop.
public final class Latch: Sendable {
    private struct State {
        var raised = false
        var nextWaiter = 0
        var waiters: [Int: UnsafeContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// A signal not raised yet.
    public init() {}

    /// Whether the signal was raised.
    public var isRaised: Bool { state.withLock { $0.raised } }

    /// Raises the signal: wakes every waiter, and later waits return at once.
    public func raise() {
        let waiters = state.withLock { state -> [UnsafeContinuation<Void, Never>] in
            state.raised = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Suspends until the signal is raised, or until the task is cancelled (then it returns at once:
    /// check `Task.isCancelled` or call `Task.checkCancellation()` after it).
    public func wait() async {
        let id = state.withLock { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.raised || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
