import Foundation
import Tributary

/// What one topic record changes in the console's database: the action ``ConsoleProjection`` returns
/// for a record and ``ConsoleStore`` applies, with the record's offset, in one transaction.
public enum ProjectionChange: Sendable, Equatable {
    /// A run record: the run's row (and its attempt's) become this record.
    case run(ProjectedRun)
    /// A job's trigger declaration (key: the job id).
    case job(jobId: String, name: String, version: String, declaration: [UInt8])
    /// A runner's presence record.
    case runner(runnerId: String, expiresAt: Date, record: [UInt8])
    /// A tombstone on `<p>.triggers`: the job or runner under this key is gone.
    case removeTrigger(key: String)
    /// A source state, its secret left out.
    case source(ProjectedSource)
    /// A tombstone on `<p>.sources`.
    case removeSource(key: String)
    /// A dead letter.
    case deadLetter(ProjectedDeadLetter)
    /// A delivery the receiver recorded.
    case delivery(DeliveryRecord)
    /// An entry of the audit trail; a completed `erase` also erases the console's copy of the event.
    case audit(AuditRecord)
    /// A record the console cannot read (the reason); only its offset is kept.
    case skip(String)

    /// Which page's live updates this change concerns.
    public var channel: ConsoleChannel? {
        switch self {
        case .run: .runs
        case .job, .runner, .removeTrigger: .jobs
        case .source, .removeSource: .sources
        case .deadLetter: .deadLetters
        case .delivery: .deliveries
        case .audit: .audit
        case .skip: nil
        }
    }
}

/// The pages whose data changes arrive live (server-sent events name them).
public enum ConsoleChannel: String, Sendable, Hashable, CaseIterable {
    /// The runs list and run pages.
    case runs
    /// The jobs page (declarations and runner presence).
    case jobs
    /// The sources page.
    case sources
    /// The dead letters page.
    case deadLetters = "dlq"
    /// The deliveries page.
    case deliveries
    /// The audit page.
    case audit
}

/// A run record as the runs table keeps it: the columns the list filters and sorts by, and the
/// record's JSON as on the topic (what the run page decodes).
public struct ProjectedRun: Sendable, Equatable {
    /// The run id.
    public var runId: String
    /// The job id.
    public var jobId: String
    /// The job version.
    public var jobVersion: String
    /// The event key, `<source>/<event id>`.
    public var eventKey: String
    /// The event id.
    public var eventId: String
    /// The event name.
    public var eventName: String
    /// The event source.
    public var source: String
    /// The status.
    public var status: RunRecord.Status
    /// The attempt, from 1.
    public var attempt: Int
    /// When the attempt started.
    public var startedAt: Date
    /// When it ended.
    public var finishedAt: Date?
    /// A failed attempt's error.
    public var error: String?
    /// Why the run was cancelled or skipped, or why it waits.
    public var reason: String?
    /// The `<p>.runs` partition it is on (a cancel request goes to the same partition of `<p>.waits`).
    public var partition: Int32
    /// The record's JSON as on the topic.
    public var json: [UInt8]

    /// The columns of a decoded run record read from `partition`, with its JSON.
    public init(record: RunRecord, partition: Int32, json: [UInt8]) {
        runId = record.runId; jobId = record.jobId; jobVersion = record.jobVersion; eventKey = record.eventKey
        eventId = record.eventId; eventName = record.eventName; source = record.source; status = record.status
        attempt = record.attempt; startedAt = record.startedAt; finishedAt = record.finishedAt; error = record.error
        reason = record.reason; self.partition = partition; self.json = json
    }

    /// The columns read from a `<p>.runs` record's JSON with Tributary's own parser (a third of the
    /// cost of a Codable decode, which the projection's ingest rate is bound by); throws what
    /// `RunRecord(record:)` would throw for a record without them, another version or an unknown status.
    public init(parsing json: [UInt8], partition: Int32) throws {
        let parsed: JSON
        do { parsed = try JSON(parsing: json) } catch { throw WireFormatError("run record is not valid: \(error)") }
        guard case .object(let fields) = parsed else { throw WireFormatError("run record is not valid: not a JSON object") }
        guard fields["v"]?.numberValue == 1 else { throw WireFormatError("unsupported run record version \(fields["v"] ?? .null)") }
        func text(_ name: String) throws -> String {
            guard let value = fields[name]?.stringValue else { throw WireFormatError("run record is not valid: no \(name)") }
            return value
        }
        func optionalText(_ name: String) -> String? { fields[name]?.stringValue }
        guard let status = fields["status"]?.stringValue.flatMap(RunRecord.Status.init(rawValue:)) else {
            throw WireFormatError("run record is not valid: no status it knows (\(fields["status"] ?? .null))")
        }
        guard let attempt = fields["attempt"]?.numberValue.flatMap({ Int(exactly: $0) }),
            let startedAt = fields["startedAt"]?.stringValue.flatMap(RFC3339.date(from:))
        else { throw WireFormatError("run record is not valid: no attempt or start time") }
        runId = try text("runId"); jobId = try text("jobId"); jobVersion = try text("jobVersion"); eventKey = try text("eventKey")
        eventId = try text("eventId"); eventName = try text("eventName"); source = try text("source")
        self.status = status; self.attempt = attempt; self.startedAt = startedAt
        finishedAt = fields["finishedAt"]?.stringValue.flatMap(RFC3339.date(from:))
        error = optionalText("error"); reason = optionalText("reason")
        self.partition = partition; self.json = json
    }
}

/// A source state as the sources table keeps it: never the secret, only whether one is held.
public struct ProjectedSource: Sendable, Equatable {
    /// The source key.
    public var key: String
    /// The external source's id, e.g. `stripe.webhook`.
    public var sourceId: String
    /// `http` or `polling`.
    public var channel: String
    /// Whether it is registered and active.
    public var active: Bool
    /// The webhook URL registered with the provider.
    public var url: String?
    /// Whether the registrar holds a (sealed) secret for it.
    public var hasSecret: Bool
    /// Event names registered, by option (`event` …).
    public var registered: [String: [String]]
    /// The last registration failure's message.
    public var lastError: String?
    /// When it failed.
    public var lastErrorAt: Date?
    /// When the registrar last wrote the state.
    public var updatedAt: Date
}

/// A dead letter as the dead letters table keeps it, with where it is on `<p>.dlq`.
public struct ProjectedDeadLetter: Sendable, Equatable {
    /// The dead letter.
    public var letter: DLQRecord
    /// Its `<p>.dlq` partition.
    public var partition: Int32
    /// Its offset there.
    public var offset: Int64

    /// A dead letter at `partition`/`offset`.
    public init(letter: DLQRecord, partition: Int32, offset: Int64) {
        self.letter = letter; self.partition = partition; self.offset = offset
    }
}
