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
    }

    private let state = Mutex(State())
    private let caughtUp = Latch()
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
                caughtUp.raise()
            }
        }
    }

    /// Stops following the topic; ``run()`` returns.
    public func stop() async { await reader.close() }

    /// Whether the view has read everything that was on the topic when it started.
    public var isCaughtUp: Bool { caughtUp.isRaised }

    /// Suspends until the view has caught up, woken by ``run()`` (no polling); returns early when the
    /// task is cancelled.
    public func waitUntilCaughtUp() async { await caughtUp.wait() }

    /// The current value for a key.
    public subscript(key: String) -> [UInt8]? { state.withLock { $0.values[key] } }

    /// Every key and its current value.
    public var snapshot: [String: [UInt8]] { state.withLock { $0.values } }
}
