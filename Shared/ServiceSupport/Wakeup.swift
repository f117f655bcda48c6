import Synchronization

/// A wake-up call between tasks: ``signal()`` wakes the task waiting in ``wait(timeout:)`` (or the next
/// one to wait, if none waits now: a signal given while nobody waits is kept). Several signals before a
/// wait count as one. The registrar's reconcile loop waits on one (woken when triggers, sources or
/// commands change), and each runner subscription and the runner's heartbeat on theirs.
public final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
        var nextId = 0
    }

    private let state = Mutex(State())

    /// A wake-up with no signal kept.
    public init() {}

    /// Wakes the waiter, or the next one.
    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter.continuation
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Suspends until notified, at most `timeout` (for conditions that change with time, such as a
    /// runner's presence expiring), or until the task is cancelled. One task waits at a time.
    public func wait(timeout: Duration) async {
        await wait(orUntil: { try? await Task.sleep(for: timeout) })
    }

    /// Suspends until notified, until `sleep` returns (e.g. a clock's sleep until a time; it is cancelled
    /// when the wait ends first), or until the task is cancelled. One task waits at a time.
    public func wait(orUntil sleep: @escaping @Sendable () async -> Void) async {
        let id = state.withLock { state -> Int in
            state.nextId += 1
            return state.nextId
        }
        let timer = Task { [weak self] in
            await sleep()
            self?.wake(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    // Cancelled before it waits: the cancellation handler found no waiter to wake.
                    if Task.isCancelled { return true }
                    state.waiter = (id, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            wake(id)
        }
        timer.cancel()
    }

    /// Sleeps until the task is cancelled (a wait with nothing to wake for but a signal).
    public static func forever() async {
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(86_400)) }
    }

    /// Wakes the waiter `id` if it still waits.
    private func wake(_ id: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter, waiter.id == id else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }
}
