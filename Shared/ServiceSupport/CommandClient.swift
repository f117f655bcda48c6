import Foundation
import TributaryKafka
import Logging
import Synchronization
import Tributary

/// Sends commands on `<p>.commands` and waits for their results: how the tool (and the console) ask
/// the service that owns something to change it, instead of writing its topic themselves.
///
/// ``send(_:timeout:)`` publishes a ``CommandRecord`` (acknowledged by the broker), then reads the
/// command's partition from just after it until a ``CommandResult`` with the command's id arrives.
/// Only the service that handles the command's kind answers (the registrar's leader for `set-secret`,
/// `clear-secret` and `re-register`; the runners for job commands); when none answers in time,
/// ``CommandTimeout`` is thrown. The command then stays on the topic (1 day) and is applied when such
/// a service runs. Any kind works: a new kind needs a service that answers it, nothing here.
///
/// One client may send many commands, from any task; ``shutdown()`` frees its producer.
public final class CommandClient: Sendable {
    private let configuration: KafkaConfiguration
    private let producer: KafkaProducer
    private let logger: Logger
    /// The topic (`<p>.commands`).
    public let topic: String

    /// A client for the commands topic under `topics`' prefix.
    public init(configuration: KafkaConfiguration, topics: TributaryTopics, logger: Logger = Logger(label: "tributary.commands")) throws {
        self.configuration = configuration
        self.topic = topics.commands.name
        self.logger = logger
        producer = try KafkaProducer(configuration: configuration, logger: logger)
    }

    /// Publishes a command without waiting for its result; returns where it was written.
    @discardableResult
    public func publish(_ command: CommandRecord) async throws -> KafkaDeliveryReport {
        try await producer.send(KafkaProducerMessage(topic: topic, record: try command.record()))
    }

    /// Publishes a command and waits up to `timeout` for its result. A result with `ok == false` is
    /// returned, not thrown: it says why the command was refused. Throws ``CommandTimeout`` when no
    /// result arrived in time.
    public func send(_ command: CommandRecord, timeout: Duration = .seconds(5)) async throws -> CommandResult {
        guard let result = try await sendCollecting(command, timeout: timeout, until: { !$0.isEmpty }).first else {
            throw CommandTimeout(command: command, timeout: timeout)
        }
        return result
    }

    /// Publishes a command that several services answer (a `rewind`: each runner for its partitions)
    /// and collects their results until `done` says they are enough, or `timeout` passes. Returns what
    /// arrived, possibly nothing.
    public func sendCollecting(
        _ command: CommandRecord, timeout: Duration = .seconds(5),
        until done: @escaping @Sendable ([CommandResult]) -> Bool
    ) async throws -> [CommandResult] {
        let report = try await publish(command)
        let reader = try KafkaTopicReader(
            configuration: configuration, topic: topic, partitions: [report.partition],
            startOffsets: [report.partition: report.offset + 1], logger: logger)
        let results = await withTaskGroup(of: [CommandResult]?.self) { group -> [CommandResult] in
            let collected = Mutex<[CommandResult]>([])
            group.addTask {
                for await event in reader {
                    guard case .message(let message) = event,
                        case .result(let result)? = try? CommandTopicRecord(record: WireRecord(message)),
                        result.commandId == command.id
                    else { continue }
                    let now = collected.withLock {
                        $0.append(result); return $0
                    }
                    if done(now) { return now }
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            await reader.close()
            group.cancelAll()
            return first ?? collected.withLock { $0 }
        }
        return results
    }

    /// Flushes and frees the producer.
    public func shutdown() async { await producer.shutdown() }

    /// `user@host` of this process, for ``CommandRecord/issuedBy`` and the audit trail: the user is
    /// `$TRIBUTARY_USER` when set (e.g. a person's name on a shared machine), else the OS user.
    public static func issuer(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let named = environment["TRIBUTARY_USER"]?.trimmingCharacters(in: .whitespaces) ?? ""
        let user = named.isEmpty ? ProcessInfo.processInfo.userName : named
        return "\(user.isEmpty ? "unknown" : user)@\(ProcessInfo.processInfo.hostName)"
    }
}

/// No result arrived for a command in time: nothing answered it (for source commands: no registrar
/// leads, or it is busy). The command is still on the topic and is applied when a service handling its
/// kind runs.
public struct CommandTimeout: Error, Sendable, CustomStringConvertible {
    /// The command that got no answer.
    public var command: CommandRecord
    /// How long the client waited.
    public var timeout: Duration

    public var description: String {
        "no answer to \(command.kind) \(command.target) within \(timeout) (command \(command.id))"
    }
}
