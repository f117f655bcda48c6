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
}

/// A run record as the runs table keeps it: the columns the list filters and sorts by, and the record.
public struct ProjectedRun: Sendable, Equatable {
    /// The run record.
    public var record: RunRecord
    /// The `<p>.runs` partition it is on (a cancel request goes to the same partition of `<p>.waits`).
    public var partition: Int32
    /// The record's JSON as on the topic.
    public var json: [UInt8]

    /// A run record read from `partition`, with its JSON.
    public init(record: RunRecord, partition: Int32, json: [UInt8]) {
        self.record = record; self.partition = partition; self.json = json
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
