import Synchronization

/// A counting semaphore for tasks: caps how many runs execute at once (and how many events wait).
/// Waiters are served first come, first served.
final class RunPermits: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
        var head = 0
    }

    private let state: Mutex<State>

    /// `count` permits.
    init(_ count: Int) { state = Mutex(State(available: count)) }

    /// Takes a permit, waiting for one if none is free.
    func acquire() async {
        if state.withLock({ state in
            guard state.available > 0 else { return false }
            state.available -= 1
            return true
        }) {
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// How many tasks wait for a permit now.
    var waiting: Int { state.withLock { $0.waiters.count - $0.head } }

    /// Gives a permit back (to the longest waiter, if any).
    func release(_ count: Int = 1) {
        var woken: [CheckedContinuation<Void, Never>] = []
        state.withLock { state in
            for _ in 0..<count {
                if state.head < state.waiters.count {
                    woken.append(state.waiters[state.head])
                    state.head += 1
                } else {
                    state.available += 1
                }
            }
            if state.head > 256 && state.head * 2 > state.waiters.count {
                state.waiters.removeFirst(state.head)
                state.head = 0
            }
        }
        for continuation in woken { continuation.resume() }
    }
}
