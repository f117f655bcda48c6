import TributaryKafka
import Logging
import Tributary

/// What a record on `<p>.sources` says about its source key: the one decoding of that topic, which
/// the receiver and the registrar share.
public enum SourceEntry: Sendable, Hashable {
    /// The source state, its secret unsealed.
    case state(SourceState)
    /// A record that cannot be read (sealed with another key, another version), with the reason. The
    /// receiver refuses its webhooks; the registrar never overwrites it.
    case unreadable(String)

    /// Decodes a record's value, unsealing the secret with `sealer`.
    public init(value: [UInt8], sealer: SecretSealer) {
        do {
            self = .state(try SourceState(record: WireRecord(key: nil, value: value), sealer: sealer))
        } catch {
            self = .unreadable("\(error)")
        }
    }

    /// The state, when it can be read.
    public var state: SourceState? {
        if case .state(let state) = self { return state }
        return nil
    }
}

/// A live view of `<p>.sources`, decoded with one sealer: the reader the receiver's source directory
/// and the registrar leader's state table are built on. Run ``table`` (e.g. with
/// ``TableViewService``) to follow the topic.
public final class SourceStatesView: Sendable {
    /// A record applied to the view: the source key and its raw value (nil: removed).
    public struct Change: Sendable {
        /// The source key.
        public var key: String
        /// The record's value as on the topic; nil for a tombstone.
        public var value: [UInt8]?
        /// The sealer the view decodes with.
        let sealer: SecretSealer

        /// The record decoded (nil for a tombstone). Decoded on each call: read it once.
        public var entry: SourceEntry? { value.map { SourceEntry(value: $0, sealer: sealer) } }
    }

    /// The underlying view of the topic's latest value per key.
    public let table: KafkaTableView
    /// The sealer of the sources' signing secrets.
    public let sealer: SecretSealer

    /// A view of `topic` (`<p>.sources`); `onChange` is called for every record applied, after the
    /// view changed.
    public init(
        configuration: KafkaConfiguration, topic: String, sealer: SecretSealer, logger: Logger,
        onChange: @escaping @Sendable (Change) -> Void = { _ in }
    ) throws {
        self.sealer = sealer
        table = try KafkaTableView(configuration: configuration, topic: topic, logger: logger) { change in
            onChange(Change(key: change.key, value: change.value, sealer: sealer))
        }
    }

    /// Decodes a record's value with this view's sealer.
    public func decode(_ value: [UInt8]) -> SourceEntry { SourceEntry(value: value, sealer: sealer) }

    /// The entry of one source key, decoded now.
    public func entry(_ key: String) -> SourceEntry? { table[key].map(decode) }

    /// Every source key's entry, decoded now.
    public func entries() -> [String: SourceEntry] { table.snapshot.mapValues(decode) }
}
