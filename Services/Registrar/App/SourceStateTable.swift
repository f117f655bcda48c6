import Kafka
import Logging
import ServiceSupport
import Synchronization
import Tributary

/// The registrar's view of `<p>.sources` plus its own writes not yet seen on the view, so the
/// reconcile loop always works from the newest state, its own included.
final class SourceStateTable: Sendable {
    let view: KafkaTableView
    private let pending: PendingWrites
    private let sealer: SecretSealer
    private let producer: KafkaProducer
    private let topic: String

    init(configuration: KafkaConfiguration, topic: String, sealer: SecretSealer, producer: KafkaProducer,
         logger: Logger, onChange: @escaping @Sendable () -> Void) throws {
        let pending = PendingWrites()
        self.pending = pending
        self.sealer = sealer
        self.producer = producer
        self.topic = topic
        view = try KafkaTableView(configuration: configuration, topic: topic, logger: logger) { change in
            // Our own write arrived: from now on the view is at least as new.
            pending.values.withLock { if $0[change.key] == change.value { $0[change.key] = nil } }
            onChange()
        }
    }

    /// What is known about a source key.
    enum Entry: Sendable {
        case state(SourceState)
        /// A record that cannot be read (another sealing key, another version): never overwritten.
        case unreadable(String)
    }

    /// The newest entry for every source key.
    func entries() -> [String: Entry] {
        var bytes = view.snapshot
        for (key, value) in pending.values.withLock({ $0 }) { bytes[key] = value }
        return bytes.mapValues(decode)
    }

    /// The newest entry for one source key.
    func entry(_ key: String) -> Entry? {
        guard let bytes = pending.values.withLock({ $0[key] }) ?? view[key] else { return nil }
        return decode(bytes)
    }

    private func decode(_ bytes: [UInt8]) -> Entry {
        do {
            return .state(try SourceState(record: WireRecord(key: nil, value: bytes), sealer: sealer))
        } catch {
            return .unreadable("\(error)")
        }
    }

    /// Writes a state (secret sealed) and waits for the broker's acknowledgement.
    func write(_ state: SourceState) async throws {
        let record = try state.record(sealer: sealer)
        try await producer.send(KafkaProducerMessage(topic: topic, record: record))
        if let value = record.value {
            pending.values.withLock { $0[state.key] = value }
        }
    }
}

/// Source states this registrar wrote that its view has not shown yet (the value bytes, by key).
final class PendingWrites: Sendable {
    let values = Mutex<[String: [UInt8]]>([:])
}
