import TributaryKafka
import Logging
import ServiceSupport
import Synchronization
import Tributary

/// The receiver's live view of `<p>.sources`: each source key's state (secret unsealed) and the
/// integration's source that handles it. Updated as records arrive, so a source written while the
/// receiver runs is served without a restart.
final class SourceDirectory: Sendable {
    /// What a source key resolves to.
    enum Entry: Sendable {
        case ready(SourceState, AnyExternalSource)
        /// The record is on the topic but cannot be used (e.g. sealed with another key, or an unknown source id).
        case unusable(String)
    }

    /// The mutable part, shared with the view's change callback.
    private final class Table: Sendable {
        let entries = Mutex<[String: Entry]>([:])
        /// Handler metadata kept between calls (in memory; the registrar owns `<p>.sources`).
        let metadata = Mutex<[String: JSON]>([:])
    }

    private let table = Table()
    /// The view of `<p>.sources` (shared with the registrar: ``SourceStatesView``).
    let sources: SourceStatesView
    /// The table view to run and ask whether it caught up.
    var view: KafkaTableView { sources.table }

    init(configuration: KafkaConfiguration, topic: String, sealer: SecretSealer, sources: [AnyExternalSource], logger: Logger) throws {
        let catalog = Dictionary(sources.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let table = table
        self.sources = try SourceStatesView(configuration: configuration, topic: topic, sealer: sealer, logger: logger) { change in
            let entry: Entry
            switch change.entry {
            case nil:
                table.entries.withLock { $0[change.key] = nil }
                return
            case .state(let state)?:
                if let source = catalog[state.sourceId] {
                    entry = .ready(state, source)
                } else {
                    entry = .unusable("no integration handles source id \(state.sourceId)")
                }
            case .unreadable(let reason)?:
                entry = .unusable("the source state cannot be read: \(reason)")
            }
            if case .unusable(let reason) = entry {
                logger.error("source unusable", metadata: [LogKey.sourceKey: "\(change.key)", LogKey.error: "\(reason)"])
            }
            table.entries.withLock { $0[change.key] = entry }
        }
    }

    func entry(_ key: String) -> Entry? {
        table.entries.withLock { $0[key] }
    }

    func metadata(for key: String) -> JSON? { table.metadata.withLock { $0[key] } }

    func keep(metadata value: JSON, for key: String) { table.metadata.withLock { $0[key] = value } }
}
