import Foundation
import Logging
import ServiceSupport
import Tributary
import TributaryIntegrations
import TributaryKafka

/// What the console's buttons do, each the way the `tributary` tool does it: "Run test" publishes
/// an event as `tributary send` does, "Replay" republishes a dead letter with ``Replay`` as
/// `tributary replay` does, "Cancel" puts a cancel request on `<p>.waits` at the run's partition as
/// `tributary runs cancel` does. Nothing here writes a topic another service owns.
public struct ConsoleActions: Sendable {
    let producer: KafkaProducer
    let topics: TributaryTopics
    let store: ConsoleStore
    let kafka: KafkaConfiguration
    let commands: CommandClient
    /// Seals a secret set on the Sources page (nil: the console cannot set secrets).
    let sealer: SecretSealer?
    /// The event specifications of the Testing UI.
    public let catalog: [ProviderEvent]

    /// Actions publishing on `producer` to the topics under `topics`' prefix of `kafka`, sending the
    /// registrar's commands with `commands`.
    public init(
        producer: KafkaProducer, commands: CommandClient, sealer: SecretSealer?, kafka: KafkaConfiguration, topics: TributaryTopics,
        store: ConsoleStore, catalog: [ProviderEvent]
    ) {
        self.producer = producer
        self.commands = commands
        self.sealer = sealer
        self.kafka = kafka
        self.topics = topics
        self.store = store
        self.catalog = catalog
    }

    /// Whether the console can set a source's secret (it has `TRIBUTARY_SECRET_KEY`).
    public var canSetSecrets: Bool { sealer != nil }

    /// A command of the Sources page to the registrar's leader.
    public enum SourceCommand: Sendable {
        /// Set the signing secret (sealed here, as `tributary sources set-secret` seals it).
        case setSecret(String)
        /// Remove the signing secret.
        case clearSecret
        /// Register the source with its provider now.
        case reregister
    }

    /// Sends a source command to the registrar's leader, as `tributary sources` does, and returns its
    /// answer as a line (`error:` first when refused, or when no leader answered in time: the command
    /// then stays queued for the next leader).
    /// `actor` is the console login that asked (``ConsoleSession/actor``): the registrar's leader records
    /// the command under it on `<p>.audit`; a command nobody answered is recorded here.
    public func send(
        _ command: SourceCommand, source key: String, by actor: String = "console", timeout: Duration = .seconds(5)
    ) async throws -> String {
        let record: CommandRecord
        switch command {
        case .setSecret(let secret):
            guard let sealer else { throw ConsoleRequestError("the console has no TRIBUTARY_SECRET_KEY: it cannot seal a secret") }
            guard !secret.isEmpty else { throw ConsoleRequestError("give the secret to set") }
            record = .setSecret(source: key, sealedSecret: try sealer.seal(secret), issuedBy: actor)
        case .clearSecret: record = .clearSecret(source: key, issuedBy: actor)
        case .reregister: record = .reregister(source: key, issuedBy: actor)
        }
        do {
            let result = try await commands.send(record, timeout: timeout)
            return result.ok ? result.message : "error: \(result.message) (answered by \(result.by))"
        } catch let timeout as CommandTimeout {
            let message =
                "no registrar leader answered within \(timeout.timeout); the \(record.kind) command stays on \(commands.topic) for a day and the next leader applies it"
            try await audit(
                AuditRecord(
                    actor: actor, action: record.kind.rawValue, target: key, outcome: .unanswered, message: message, commandId: record.id))
            return "error: " + message
        }
    }

    /// Records an action the console carried out itself (or a command nobody answered) on `<p>.audit`.
    func audit(_ entry: AuditRecord) async throws {
        _ = try await producer.send(KafkaProducerMessage(topic: topics.audit.name, record: try entry.record()))
    }

    /// A run's event from its partition of `<p>.events` (the same partition number as its run), as
    /// `tributary runs show` finds it: read through, so it is a button, not part of every page. Nil
    /// when it is not there (another system's topic, or gone by retention).
    public func event(of detail: RunDetail, timeout: Duration = .seconds(10)) async throws -> EventRecord? {
        let key = detail.record.eventKey
        let reader = try KafkaTopicReader(configuration: kafka, topic: topics.events.name, partitions: [detail.partition])
        return await withTaskGroup(of: EventRecord?.self) { group in
            group.addTask {
                for await event in reader {
                    switch event {
                    case .message(let message):
                        if message.keyString == key, let decoded = try? CloudEvent.decode(WireRecord(message)) { return decoded }
                    case .caughtUp:
                        return nil
                    }
                }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let found = await group.next() ?? nil
            group.cancelAll()
            await reader.close()
            return found
        }
    }

    /// Publishes a test event `name` from `source` with `payload` (JSON text); returns the event.
    /// Throws ``ConsoleRequestError`` for an event the catalog does not have or a payload that is not JSON.
    public func runTest(source: String, name: String, payload: String, at time: Date = Date()) async throws -> EventRecord {
        guard catalog.contains(where: { $0.source == source && $0.names.contains(name) }) else {
            throw ConsoleRequestError("no event specification for \(name) from \(source)")
        }
        let body: JSON
        do { body = try JSON(parsing: payload) } catch { throw ConsoleRequestError("the payload is not JSON: \(error)") }
        let event = EventRecord(
            id: "test_\(UUID().uuidString.lowercased())", name: name, source: source, timestamp: time, payload: body)
        _ = try await producer.send(KafkaProducerMessage(topic: topics.events.name, record: CloudEvent.encode(event)))
        return event
    }

    /// Replays dead letters for `actor`; returns a line per letter (what was published, or why not).
    /// Each is recorded on `<p>.audit`, as `tributary replay` records it.
    public func replay(_ letters: [DeadLetterRow], by actor: String = "console", at time: Date = Date()) async throws -> [String] {
        var lines: [String] = []
        for row in letters {
            let letter = row.letter
            let target = letter.runId ?? letter.original.keyString ?? row.id
            do {
                let record = try Replay.record(for: letter, at: time)
                _ = try await producer.send(KafkaProducerMessage(topic: topics.events.name, record: record))
                lines.append("replayed \(letter.runId ?? row.id) as \(record.keyString ?? "?")")
                try await audit(
                    AuditRecord(
                        actor: actor, action: "replay", target: target, outcome: .ok,
                        message: "replayed \(letter.original.keyString ?? "?") for \(letter.jobId ?? "?") as \(record.keyString ?? "?")",
                        details: ["event": .string(letter.original.keyString ?? ""), "replay": .string(record.keyString ?? "")]))
            } catch let refusal as Replay.Refusal {
                lines.append("error: \(letter.original.keyString ?? row.id) not replayed: \(refusal)")
                try await audit(AuditRecord(actor: actor, action: "replay", target: target, outcome: .refused, message: "\(refusal)"))
            }
        }
        return lines
    }

    /// Asks the runner that owns a run to cancel it for `who` (a console login's actor); returns what was
    /// done, recorded on `<p>.audit`.
    public func cancel(_ detail: RunDetail, by who: String) async throws -> String {
        let run = detail.record
        guard !run.status.isFinal else { return "error: \(run.runId) is already \(run.status.rawValue); nothing to cancel" }
        let request = WaitRecord(
            kind: .cancel, jobId: run.jobId, runKey: RunRecord.key(eventKey: run.eventKey, jobId: run.jobId), runId: run.runId,
            task: WaitRecord.cancelRequestTask, runsPartition: detail.partition, reason: "cancelled by \(who) (console)")
        _ = try await producer.send(
            KafkaProducerMessage(topic: topics.waits.name, partition: detail.partition, record: try request.record()))
        let message = "cancel requested for \(run.runId); its runner records it cancelled"
        try await audit(
            AuditRecord(
                actor: who, action: "cancel", target: run.runId, outcome: .ok, message: message,
                details: ["job": .string(run.jobId), "event": .string(run.eventKey), "status": .string(run.status.rawValue)]))
        return message
    }
}
