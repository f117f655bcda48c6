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
        case .skip: nil
        }
    }
}

/// The pages whose data changes arrive live (server-sent events name them).
public enum ConsoleChannel: String, Sendable, Hashable, CaseIterable {
    case runs, jobs, sources, deadLetters = "dlq", deliveries
}

/// A run record as the runs table keeps it: the columns the list filters and sorts by, and the record.
public struct ProjectedRun: Sendable, Equatable {
    public var record: RunRecord
    /// The `<p>.runs` partition it is on (a cancel request goes to the same partition of `<p>.waits`).
    public var partition: Int32
    /// The record's JSON as on the topic.
    public var json: [UInt8]
}

/// A source state as the sources table keeps it: never the secret, only whether one is held.
public struct ProjectedSource: Sendable, Equatable {
    public var key: String
    public var sourceId: String
    public var channel: String
    public var active: Bool
    public var url: String?
    /// Whether the registrar holds a (sealed) secret for it.
    public var hasSecret: Bool
    /// Event names registered, by option (`event` …).
    public var registered: [String: [String]]
    /// The last registration failure's message and time.
    public var lastError: String?
    public var lastErrorAt: Date?
    public var updatedAt: Date
}

/// A dead letter as the dead letters table keeps it, with where it is on `<p>.dlq`.
public struct ProjectedDeadLetter: Sendable, Equatable {
    public var letter: DLQRecord
    public var partition: Int32
    public var offset: Int64
}
