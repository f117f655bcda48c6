import ServiceLifecycle
import Synchronization

/// A change the pages hear about live: which page's data changed, and for runs which runs.
public struct ConsoleUpdate: Sendable, Hashable {
    public var channel: ConsoleChannel
    /// The runs changed (for ``ConsoleChannel/runs``).
    public var runIds: [String]

    /// An update of `channel`.
    public init(channel: ConsoleChannel, runIds: [String] = []) {
        self.channel = channel
        self.runIds = runIds
    }
}

/// Fans the projection's committed changes out to the pages' server-sent event streams: each
/// subscriber gets its own stream, which keeps the newest 100 updates when it reads slower.
/// ``close()`` ends every stream (and those subscribed later), so the HTTP server can shut down.
public final class ConsoleUpdates: Sendable {
    private struct State {
        var subscribers: [Int: AsyncStream<ConsoleUpdate>.Continuation] = [:]
        var next = 0
        var closed = false
    }

    private let state = Mutex(State())

    /// A hub without subscribers.
    public init() {}

    /// A stream of the updates published from now on, and its id for ``unsubscribe(_:)``.
    public func subscribe() -> (updates: AsyncStream<ConsoleUpdate>, id: Int) {
        let (stream, continuation) = AsyncStream.makeStream(of: ConsoleUpdate.self, bufferingPolicy: .bufferingNewest(100))
        let id = state.withLock { state -> Int? in
            guard !state.closed else { return nil }
            state.next += 1
            state.subscribers[state.next] = continuation
            return state.next
        }
        guard let id else {
            continuation.finish()
            return (stream, 0)
        }
        return (stream, id)
    }

    /// Ends and forgets a subscriber's stream (its reader went away).
    public func unsubscribe(_ id: Int) {
        let continuation = state.withLock { $0.subscribers.removeValue(forKey: id) }
        continuation?.finish()
    }

    /// How many streams are open.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Sends `update` to every subscriber.
    public func publish(_ update: ConsoleUpdate) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(update) }
    }

    /// Ends every stream, now and for later subscribers.
    public func close() {
        let subscribers = state.withLock { state -> [AsyncStream<ConsoleUpdate>.Continuation] in
            state.closed = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}

/// Ends the live update streams at graceful shutdown. It goes after the HTTP server in the
/// console's services, so it stops first (a `ServiceGroup` stops in reverse order) and the
/// server's open event streams end before the server waits for them.
public struct ConsoleUpdatesService: Service {
    /// The hub it closes.
    public let updates: ConsoleUpdates

    /// Closes `updates` at graceful shutdown.
    public init(updates: ConsoleUpdates) { self.updates = updates }

    public func run() async throws {
        try? await gracefulShutdown()
        updates.close()
    }
}
