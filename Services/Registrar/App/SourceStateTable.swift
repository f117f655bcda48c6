import TributaryKafka
import Logging
import ServiceSupport
import Synchronization
import Tributary

/// One leadership term's view of `<p>.sources`, read from the beginning after the term's
/// transactional producer fenced the previous leader (so it holds every state that leader wrote),
/// plus this term's own writes not yet seen on the view: the reconcile loop always works from the
/// newest state, its own included. Every write goes through the term's ``LeaderWriter``.
final class SourceStateTable: Sendable {
    /// The view of `<p>.sources` (shared with the receiver: ``SourceStatesView``).
    private let sources: SourceStatesView
    /// The table view the term runs and waits on.
    var view: KafkaTableView { sources.table }
    private let pending: PendingWrites
    private let sealer: SecretSealer
    private let writer: LeaderWriter
    private let topic: String
    private let commandsTopic: String
    private let auditTopic: String

    init(
        configuration: KafkaConfiguration, topics: TributaryTopics, sealer: SecretSealer, writer: LeaderWriter,
        logger: Logger, onChange: @escaping @Sendable () -> Void
    ) throws {
        let pending = PendingWrites()
        self.pending = pending
        self.sealer = sealer
        self.writer = writer
        self.topic = topics.sources.name
        self.commandsTopic = topics.commands.name
        self.auditTopic = topics.audit.name
        sources = try SourceStatesView(configuration: configuration, topic: topic, sealer: sealer, logger: logger) { change in
            // Our own write arrived: from now on the view is at least as new.
            pending.values.withLock { if $0[change.key] == change.value { $0[change.key] = nil } }
            onChange()
        }
    }

    /// The newest entry for every source key.
    func entries() -> [String: SourceEntry] {
        var bytes = view.snapshot
        for (key, value) in pending.values.withLock({ $0 }) { bytes[key] = value }
        return bytes.mapValues(sources.decode)
    }

    /// The newest value of every source key, as on the topic (this term's pending writes included).
    func values() -> [String: [UInt8]] {
        var bytes = view.snapshot
        for (key, value) in pending.values.withLock({ $0 }) { bytes[key] = value }
        return bytes
    }

    /// The newest entry for one source key.
    func entry(_ key: String) -> SourceEntry? {
        guard let bytes = pending.values.withLock({ $0[key] }) ?? view[key] else { return nil }
        return sources.decode(bytes)
    }

    /// The newest readable state of a source key.
    func state(_ key: String) -> SourceState? { entry(key)?.state }

    /// Writes a state (secret sealed), then the result of the command that caused it if any, then its
    /// audit entry, in one transaction (the sender is answered once the result is written). Throws ``LeadershipLost`` when this term may no longer write, a ``KafkaError``
    /// when the transaction failed (nothing was written; it may be tried again).
    func write(_ state: SourceState, answering result: CommandResult? = nil, audit: AuditRecord? = nil) async throws {
        let record = try state.record(sealer: sealer)
        var messages = [KafkaProducerMessage(topic: topic, record: record)]
        if let result { messages.append(KafkaProducerMessage(topic: commandsTopic, record: try result.record())) }
        if let audit { messages.append(KafkaProducerMessage(topic: auditTopic, record: try audit.record())) }
        try await writer.commit(messages)
        if let value = record.value {
            pending.values.withLock { $0[state.key] = value }
        }
    }

    /// Writes several states (secrets sealed with the current key), in transactions of at most `batch`
    /// states, the command's result in the last one: a crash in between leaves the command unanswered,
    /// and the next leader applies it again (writing a state again is harmless).
    func write(_ states: [SourceState], answering result: CommandResult, audit: AuditRecord, batch: Int = 100) async throws {
        var records: [WireRecord] = []
        for state in states { records.append(try state.record(sealer: sealer)) }
        var start = 0
        repeat {
            let chunk = records[start..<min(records.count, start + batch)]
            var messages = chunk.map { KafkaProducerMessage(topic: topic, record: $0) }
            start += batch
            if start >= records.count {
                messages.append(KafkaProducerMessage(topic: commandsTopic, record: try result.record()))
                messages.append(KafkaProducerMessage(topic: auditTopic, record: try audit.record()))
            }
            try await writer.commit(messages)
            for record in chunk {
                if let key = record.key, let value = record.value {
                    pending.values.withLock { $0[String(decoding: key, as: UTF8.self)] = value }
                }
            }
        } while start < records.count
    }

    /// Writes a command's result (and its audit entry) alone (a refusal, or a command that changed no state).
    func answer(_ result: CommandResult, audit: AuditRecord? = nil) async throws {
        // The result first: its sender is answered as soon as it is written; the entry follows in the
        // same transaction.
        var messages = [KafkaProducerMessage(topic: commandsTopic, record: try result.record())]
        if let audit { messages.append(KafkaProducerMessage(topic: auditTopic, record: try audit.record())) }
        try await writer.commit(messages)
    }
}

/// Source states this term wrote that its view has not shown yet (the value bytes, by key).
final class PendingWrites: Sendable {
    let values = Mutex<[String: [UInt8]]>([:])
}
