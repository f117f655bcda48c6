import Foundation

/// A job's trigger as declared on `<p>.triggers` (key: job id). Version 1.
public struct TriggerDeclaration: Sendable, Hashable, Codable {
    /// The wire-format version written by this code.
    public static let wireVersion = 1

    /// The format version.
    public var v: Int
    /// The job id.
    public var jobId: String
    /// The job name.
    public var jobName: String
    /// The job version.
    public var version: String
    /// The external source (channel, id, version, key, params), or nil for plain events.
    public var source: TriggerSource?
    /// The event source, e.g. `stripe.com`.
    public var eventSource: String
    /// The event names.
    public var events: [String]
    /// The filter, matched against `{"payload": …, "context": …}`.
    public var filter: EventFilter
    /// Where the job starts when it is declared for the first time (absent in older declarations).
    public var startPosition: StartPosition?
    /// When the job was declared for the first time: where `latest` starts on every partition (a
    /// partition first assigned later still starts at the job's first start, not at its own assignment).
    public var firstDeclaredAt: Date?
    /// The consumer group whose committed offsets the job's own group starts from: set when a job
    /// that runners consumed in the single group of earlier versions is first declared by a runner
    /// with per-job groups (the upgrade), and kept by later declarations.
    public var startsFromGroup: String?
    /// The schedule of a scheduled job (absent otherwise and in older declarations, whose readers
    /// ignore it): the registrar's leader emits its ticks.
    public var schedule: Schedule?

    /// Creates a declaration.
    public init(
        jobId: String, jobName: String, version: String, source: TriggerSource?, eventSource: String,
        events: [String], filter: EventFilter
    ) {
        self.v = Self.wireVersion; self.jobId = jobId; self.jobName = jobName; self.version = version
        self.source = source; self.eventSource = eventSource; self.events = events; self.filter = filter
    }

    /// Whether an event matches this declaration (name, source, source key, filter).
    public func matches(_ e: EventRecord) -> Bool {
        guard events.contains(e.name), e.source == eventSource else { return false }
        if let source, let key = e.sourceKey, key != source.key { return false }
        return filter.matches(e)
    }

    /// The `<p>.triggers` record.
    public func record() throws -> WireRecord {
        WireRecord(key: Array(jobId.utf8), value: Array(try JSONCoding.encoder.encode(self)))
    }

    /// Reads a `<p>.triggers` record; throws for a tombstone, an unknown version or an invalid filter.
    public init(record: WireRecord) throws {
        guard let value = record.value else { throw WireFormatError("trigger declaration record has no value (tombstone)") }
        let d: TriggerDeclaration
        do { d = try JSONCoding.decoder.decode(TriggerDeclaration.self, from: Data(value)) } catch {
            throw WireFormatError("trigger declaration is not valid: \(error)")
        }
        guard d.v == 1 else { throw WireFormatError("unsupported trigger declaration version \(d.v)") }
        self = d
    }
}
