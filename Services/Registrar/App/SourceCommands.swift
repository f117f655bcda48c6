import Foundation
import TributaryKafka
import Logging
import ServiceSupport
import Synchronization
import Tributary
import TributaryIntegrations

/// The source commands a leadership term has still to apply, in the order they are on `<p>.commands`.
///
/// Fed every record of the topic from its beginning: a command of a kind the registrar applies is
/// queued, and a result for it (written by this or an earlier leader) takes it out again, so after
/// ``caughtUp()`` the queue holds exactly the commands no leader answered. Kinds the registrar does
/// not apply (e.g. the runners' `rewind`) are never queued and never answered.
struct CommandQueue: Sendable, Hashable {
    /// The kinds the registrar applies.
    static let handled: Set<CommandKind> = [.setSecret, .clearSecret, .configure, .reregister]

    /// Whether the records that were on the topic when the term began have all been fed.
    private(set) var isCaughtUp = false
    private var waiting: [CommandRecord] = []

    /// Takes one record of the topic, in topic order.
    mutating func receive(_ record: CommandTopicRecord) {
        switch record {
        case .command(let command):
            guard Self.handled.contains(command.kind), !waiting.contains(where: { $0.id == command.id }) else { return }
            waiting.append(command)
        case .result(let result):
            waiting.removeAll { $0.id == result.commandId }
        }
    }

    /// Every record that was on the topic at the start has been fed: waiting commands may be applied.
    mutating func caughtUp() { isCaughtUp = true }

    /// The next command to apply (the oldest unanswered one), once caught up.
    var next: CommandRecord? { isCaughtUp ? waiting.first : nil }

    /// The command was applied (its result written): it leaves the queue.
    mutating func applied(_ id: String) { waiting.removeAll { $0.id == id } }

    /// Commands waiting.
    var count: Int { waiting.count }
}

/// What a source command does to the newest state of its source, decided without I/O.
enum SourceCommandEffect: Sendable, Hashable {
    /// Write this state, answering `ok` with the message, in one transaction.
    case write(SourceState, message: String)
    /// Answer `ok` with the message; the state stays as it is.
    case unchanged(String)
    /// Answer not `ok` with the reason; nothing is changed.
    case refuse(String)
    /// Register (or poll) the source now, then answer with the outcome.
    case reregister
}

extension SourceCommandEffect {
    /// The effect of `command` on a source whose newest entry is `entry` and whose declarations plan
    /// `plan` (nil when no job declares it and it has no state). `set-secret` is refused, changing
    /// nothing, when the command's sealed secret or the existing state does not unseal with `sealer`.
    static func of(_ command: CommandRecord, entry: SourceEntry?, plan: SourcePlan?, sealer: SecretSealer, now: Date) -> SourceCommandEffect
    {
        let key = command.target
        if case .unreadable(let reason)? = entry {
            return .refuse(
                """
                the state of \(key) on the sources topic cannot be read with the registrar's TRIBUTARY_SECRET_KEY \
                (\(reason)); nothing was changed. Run the registrar, the receiver and the tool with the key that sealed it.
                """)
        }
        switch command.kind {
        case .setSecret:
            guard let sealed = command.sealedSecret, !sealed.isEmpty else {
                return .refuse("set-secret for \(key) carries no arguments.sealedSecret; nothing was changed")
            }
            let secret: String
            do { secret = try sealer.unseal(sealed) } catch {
                return .refuse(
                    """
                    the secret in this command does not unseal with the registrar's TRIBUTARY_SECRET_KEY: the sender's \
                    TRIBUTARY_SECRET_KEY is another key; nothing was changed. Use the key the registrar and the receiver use.
                    """)
            }
            var state: SourceState
            if let existing = entry?.state {
                if existing.secret == secret { return .unchanged("\(key) already has this secret") }
                state = existing
            } else if let plan {
                state = SourceState(key: key, sourceId: plan.sourceId, version: plan.version, channel: plan.channel, params: plan.params)
            } else {
                do { state = try SourceKeys.newState(forKey: key) } catch { return .refuse("\(error); nothing was changed") }
            }
            state.secret = secret
            state.updatedAt = now
            return .write(
                state, message: entry == nil ? "source \(key) created (\(state.sourceId)) with its secret" : "secret set for \(key)")
        case .clearSecret:
            guard var state = entry?.state else { return .refuse("there is no source \(key); nothing was changed") }
            guard state.secret != nil else { return .unchanged("\(key) has no secret") }
            state.secret = nil
            state.updatedAt = now
            return .write(state, message: "secret cleared for \(key)")
        case .configure:
            guard let settings = command.arguments["settings"], settings.objectValue != nil else {
                return .refuse("configure for \(key) carries no arguments.settings object; nothing was changed")
            }
            var state: SourceState
            if let existing = entry?.state {
                state = existing
            } else if let plan {
                state = SourceState(key: key, sourceId: plan.sourceId, version: plan.version, channel: plan.channel, params: plan.params)
            } else {
                do { state = try SourceKeys.newState(forKey: key) } catch { return .refuse("\(error); nothing was changed") }
            }
            guard GenericPresets.takesSettings(sourceId: state.sourceId) else {
                return .refuse("source \(key) (\(state.sourceId)) takes no settings; nothing was changed")
            }
            let checked: JSON
            do { checked = try GenericPresets.validate(sourceId: state.sourceId, settings: settings) } catch {
                return .refuse("settings for \(key): \(error); nothing was changed")
            }
            if state.data["settings"] == checked { return .unchanged("\(key) already has these settings") }
            var data = state.data.objectValue ?? [:]
            data["settings"] = checked
            state.data = .object(data)
            state.updatedAt = now
            return .write(
                state, message: entry == nil ? "source \(key) created (\(state.sourceId)) with its settings" : "settings set for \(key)")
        case .reregister:
            guard plan != nil || entry != nil else {
                return .refuse("there is no source \(key): no job declares it and it has no state; nothing was changed")
            }
            return .reregister
        default:
            return .refuse("the registrar does not apply \(command.kind) commands")
        }
    }
}

/// Follows `<p>.commands` from its beginning for one leadership term into a ``CommandQueue``, and
/// wakes the reconcile loop when a command arrives. Started after the term fenced the previous
/// leader, so the results that leader committed are on the topic when this reads it.
final class CommandFollower: Sendable {
    private let queue = Mutex(CommandQueue())
    private let caughtUp = Latch()
    private let reader: KafkaTopicReader
    private let logger: Logger
    private let onCommand: @Sendable () -> Void

    init(configuration: KafkaConfiguration, topic: String, logger: Logger, onCommand: @escaping @Sendable () -> Void) throws {
        reader = try KafkaTopicReader(configuration: configuration, topic: topic, logger: logger)
        self.logger = logger
        self.onCommand = onCommand
    }

    /// Reads the topic until ``stop()``.
    func run() async {
        for await event in reader {
            switch event {
            case .message(let message):
                let record: CommandTopicRecord
                do {
                    record = try CommandTopicRecord(record: WireRecord(message))
                } catch {
                    logger.warning(
                        "unreadable record on the commands topic is ignored",
                        metadata: [
                            LogKey.offset: "\(message.offset)", LogKey.error: "\(error)",
                        ])
                    continue
                }
                let waiting = queue.withLock { queue in
                    queue.receive(record)
                    return queue.next != nil
                }
                if waiting { onCommand() }
            case .caughtUp:
                queue.withLock { $0.caughtUp() }
                caughtUp.raise()
                onCommand()
            }
        }
    }

    /// Stops reading.
    func stop() async { await reader.close() }

    /// Whether everything that was on the topic at the start was read.
    var isCaughtUp: Bool { queue.withLock { $0.isCaughtUp } }

    /// Suspends until everything that was on the topic at the start was read, woken by ``run()``;
    /// returns early when the task is cancelled.
    func waitUntilCaughtUp() async { await caughtUp.wait() }

    /// The next command to apply, if any.
    var next: CommandRecord? { queue.withLock { $0.next } }

    /// Marks a command applied.
    func applied(_ id: String) { queue.withLock { $0.applied(id) } }
}
