import Foundation
import ServiceSupport
import Tributary
import TributaryKafka

/// Turns the records of the topics the console follows into ``ProjectionChange``s: pure (no I/O),
/// so what a record does to the database is tested without Kafka or SQLite. A record it cannot read
/// is a ``ProjectionChange/skip(_:)`` with the reason: its offset is still stored, so it is not read
/// again, and the rest of the topic goes on.
public struct ConsoleProjection: Sendable {
    /// The topics followed: `<p>.runs`, `<p>.triggers`, `<p>.sources`, `<p>.dlq`, `<p>.deliveries`,
    /// `<p>.audit`.
    public let runs: String
    public let triggers: String
    public let sources: String
    public let deadLetters: String
    public let deliveries: String
    public let audit: String

    /// The projection of the topics under `topics`' prefix.
    public init(topics: TributaryTopics) {
        runs = topics.runs.name
        triggers = topics.triggers.name
        sources = topics.sources.name
        deadLetters = topics.deadLetters.name
        deliveries = topics.deliveries.name
        audit = topics.audit.name
    }

    /// Every topic followed.
    public var topics: [String] { [runs, triggers, sources, deadLetters, deliveries, audit] }

    /// What `message` changes.
    public func change(for message: KafkaMessage) -> ProjectionChange {
        let record = WireRecord(message)
        do {
            switch message.topic {
            case runs:
                guard let value = record.value else { return .skip("run tombstone") }
                return .run(try ProjectedRun(parsing: value, partition: message.partition))
            case triggers:
                guard let key = record.keyString else { return .skip("trigger record without a key") }
                guard record.value != nil else { return .removeTrigger(key: key) }
                if RunnerPresence.isPresenceKey(key) {
                    let presence = try RunnerPresence(record: record)
                    return .runner(runnerId: presence.runnerId, expiresAt: presence.expiresAt, record: record.value ?? [])
                }
                let declaration = try TriggerDeclaration(record: record)
                return .job(
                    jobId: declaration.jobId, name: declaration.jobName, version: declaration.version, declaration: record.value ?? [])
            case sources:
                guard let key = record.keyString else { return .skip("source record without a key") }
                guard let value = record.value else { return .removeSource(key: key) }
                return .source(try Self.source(key: key, value: value))
            case deadLetters:
                return .deadLetter(
                    ProjectedDeadLetter(letter: try DLQRecord(record: record), partition: message.partition, offset: message.offset))
            case deliveries:
                return .delivery(try DeliveryRecord(record: record))
            case audit:
                return .audit(try AuditRecord(record: record))
            default:
                return .skip("not a topic the console follows: \(message.topic)")
            }
        } catch {
            return .skip("\(error)")
        }
    }

    /// A source state's columns, read from its JSON without unsealing anything: the sealed secret
    /// is only looked at for whether it is there.
    static func source(key: String, value: [UInt8]) throws -> ProjectedSource {
        let json: JSON
        do { json = try JSON(parsing: value) } catch { throw WireFormatError("source state is not valid: \(error)") }
        guard json["v"]?.numberValue == 1 else { throw WireFormatError("unsupported source state version \(json["v"] ?? .null)") }
        guard let sourceId = json["sourceId"]?.stringValue, let updated = json["updatedAt"]?.stringValue.flatMap(RFC3339.date(from:))
        else { throw WireFormatError("source state lacks its source id or update time") }
        var registered: [String: [String]] = [:]
        for (option, names) in json["registered"]?.objectValue ?? [:] {
            registered[option] = names.arrayValue?.compactMap(\.stringValue) ?? []
        }
        let secret = json["sealedSecret"]
        return ProjectedSource(
            key: key, sourceId: sourceId, channel: json["channel"]?.stringValue ?? "http", active: json["active"]?.boolValue ?? false,
            url: json["url"]?.stringValue, hasSecret: secret != nil && secret?.isNull == false, registered: registered,
            lastError: json["lastError"]?["message"]?.stringValue,
            lastErrorAt: json["lastError"]?["at"]?.stringValue.flatMap(RFC3339.date(from:)), updatedAt: updated)
    }
}
