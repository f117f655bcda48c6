import Foundation

/// A record on `<p>.waits` (compacted; partition = the run's `<p>.runs` partition, key
/// `<run key>|<task>`): how runs waiting for events meet the events, whichever runner takes them.
/// Version 1.
///
/// - A `registration` says a run waits for events (`wait`); for `cancelOn` the task is
///   ``cancelTask`` and the deadline never comes. Every runner hosting the job follows them and
///   matches the events it takes.
/// - A `match` replaces the registration: `event` ended the wait. The runner that owns the run's
///   partition resumes the run with it (or cancels it, for ``cancelTask``) and removes the key.
/// - A `cancel` asks to cancel the run (`tributary runs cancel`), with `reason`, under the task
///   ``cancelRequestTask``.
public struct WaitRecord: Sendable, Hashable, Codable {
    /// The wire-format version written by this code.
    public static let wireVersion = 1
    /// The task name of a run's cancellation condition (`cancelOn`).
    public static let cancelTask = "$cancel"
    /// The task name of a request to cancel a run (`tributary runs cancel`): a key of its own, so
    /// that a request and the run's `cancelOn` registration never replace each other.
    public static let cancelRequestTask = "$cancel-request"

    /// What the record says.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A run waits for `wait`'s events.
        case registration
        /// `event` ended the wait.
        case match
        /// Cancel the run, for `reason`.
        case cancel
    }

    /// The format version.
    public var v: Int
    /// What the record says.
    public var kind: Kind
    /// The job.
    public var jobId: String
    /// The run's `<p>.runs` key (`<event key>/<job id>`).
    public var runKey: String
    /// The run id.
    public var runId: String
    /// The wait's task key (``cancelTask`` for cancellation).
    public var task: String
    /// The run's `<p>.runs` partition (and this record's partition).
    public var runsPartition: Int32
    /// What the run waits for (registrations, and matches, which keep it).
    public var wait: EventWait?
    /// The event that ended the wait (matches).
    public var event: EventRecord?
    /// When the matching event arrived (its Kafka timestamp).
    public var arrivedAt: Date?
    /// Why the run is cancelled (cancel requests).
    public var reason: String?
    /// When this record was written.
    public var at: Date

    /// Creates a record.
    public init(
        kind: Kind, jobId: String, runKey: String, runId: String, task: String, runsPartition: Int32,
        wait: EventWait? = nil, event: EventRecord? = nil, arrivedAt: Date? = nil, reason: String? = nil, at: Date = Date()
    ) {
        self.v = Self.wireVersion; self.kind = kind; self.jobId = jobId; self.runKey = runKey; self.runId = runId
        self.task = task; self.runsPartition = runsPartition; self.wait = wait; self.event = event
        self.arrivedAt = arrivedAt; self.reason = reason; self.at = at
    }

    /// The `<p>.waits` key of a run's wait.
    public static func key(runKey: String, task: String) -> String { "\(runKey)|\(task)" }

    /// This record's key.
    public var key: String { Self.key(runKey: runKey, task: task) }

    /// The match of this registration by `event`, which arrived at `arrivedAt`.
    public func matched(by event: EventRecord, arrivedAt: Date, at now: Date = Date()) -> WaitRecord {
        var match = self
        match.kind = .match
        match.event = event
        match.arrivedAt = arrivedAt
        match.at = now
        return match
    }

    /// The record (value: JSON).
    public func record() throws -> WireRecord {
        WireRecord(key: Array(key.utf8), value: Array(try JSONCoding.encoder.encode(self)))
    }

    /// Reads a `<p>.waits` record's value.
    public init(value: [UInt8]) throws {
        let r: WaitRecord
        do { r = try JSONCoding.decoder.decode(WaitRecord.self, from: Data(value)) } catch {
            throw WireFormatError("wait record is not valid: \(error)")
        }
        guard r.v == 1 else { throw WireFormatError("unsupported wait record version \(r.v)") }
        self = r
    }
}
