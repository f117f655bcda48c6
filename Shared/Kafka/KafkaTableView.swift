import Logging
import Synchronization

/// The latest value per key of a compacted topic, kept live in memory: a tombstone (null value)
/// removes its key. ``run()`` reads the topic; ``waitUntilCaughtUp()`` returns once the view holds
/// everything that was on the topic when it started. Used for `<p>.sources` and `<p>.triggers`.
public final class KafkaTableView: Sendable {
    /// A change applied to the view: the key and its new value (nil when removed).
    public typealias Change = (key: String, value: [UInt8]?)

    private struct State {
        var values: [String: [UInt8]] = [:]
        var caughtUp = false
        var waiters: [UnsafeContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let reader: KafkaTopicReader
    private let onChange: (@Sendable (Change) -> Void)?
    /// The topic this view follows.
    public let topic: String

    /// Prepares a view of `topic`; `onChange` is called for every record applied, after the view changed.
    public init(
        configuration: KafkaConfiguration, topic: String,
        logger: Logger = Logger(label: "tributary.kafka.view"),
        onChange: (@Sendable (Change) -> Void)? = nil
    ) throws(KafkaError) {
        self.topic = topic
        self.onChange = onChange
        reader = try KafkaTopicReader(configuration: configuration, topic: topic, logger: logger)
    }

    /// Applies the topic's records until ``stop()`` is called.
    public func run() async {
        for await event in reader {
            switch event {
            case .message(let message):
                guard let key = message.keyString else { continue }
                state.withLock { state in
                    if let value = message.value { state.values[key] = value } else { state.values[key] = nil }
                }
                onChange?((key, message.value))
            case .caughtUp:
                let waiters = state.withLock { state -> [UnsafeContinuation<Void, Never>] in
                    state.caughtUp = true
                    defer { state.waiters = [] }
                    return state.waiters
                }
                for waiter in waiters { waiter.resume() }
            }
        }
    }

    /// Stops following the topic; ``run()`` returns.
    public func stop() async { await reader.close() }

    /// Whether the view has read everything that was on the topic when it started.
    public var isCaughtUp: Bool { state.withLock { $0.caughtUp } }

    /// Suspends until the view has caught up.
    public func waitUntilCaughtUp() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.caughtUp { return true }
                state.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// The current value for a key.
    public subscript(key: String) -> [UInt8]? { state.withLock { $0.values[key] } }

    /// Every key and its current value.
    public var snapshot: [String: [UInt8]] { state.withLock { $0.values } }
}
