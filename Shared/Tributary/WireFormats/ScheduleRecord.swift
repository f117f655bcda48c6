import Foundation

/// The last tick the registrar's leader emitted for a scheduled job, on the compacted `<p>.schedules`
/// (key: job id), written in the same transaction as the tick's event: a new leader reads it and
/// goes on from there, so a failover neither skips nor repeats a tick. Version 1.
public struct ScheduleRecord: Sendable, Hashable, Codable {
    /// The wire-format version written by this code.
    public static let wireVersion = 1

    /// The format version.
    public var v: Int
    /// The job id.
    public var jobId: String
    /// The scheduled time of the last tick accounted for (emitted, or skipped as a missed tick beyond `catchUp`).
    public var lastScheduledAt: Date
    /// The scheduled time of the last tick emitted (nil when every tick so far was skipped).
    public var lastEmittedAt: Date?
    /// When the leader wrote this record.
    public var writtenAt: Date
    /// The job's schedule then.
    public var schedule: Schedule
    /// The next tick after `lastScheduledAt`, for `tributary jobs`.
    public var nextAt: Date?

    /// Creates a record.
    public init(jobId: String, lastScheduledAt: Date, lastEmittedAt: Date?, writtenAt: Date, schedule: Schedule) {
        self.v = Self.wireVersion; self.jobId = jobId; self.lastScheduledAt = lastScheduledAt; self.lastEmittedAt = lastEmittedAt
        self.writtenAt = writtenAt; self.schedule = schedule; self.nextAt = schedule.next(after: lastScheduledAt)
    }

    /// The `<p>.schedules` record.
    public func record() throws -> WireRecord {
        WireRecord(key: Array(jobId.utf8), value: Array(try JSONCoding.encoder.encode(self)))
    }

    /// Reads a `<p>.schedules` record; throws for a tombstone or an unknown version.
    public init(record: WireRecord) throws {
        guard let value = record.value else { throw WireFormatError("schedule record has no value (tombstone)") }
        let r: ScheduleRecord
        do { r = try JSONCoding.decoder.decode(ScheduleRecord.self, from: Data(value)) } catch {
            throw WireFormatError("schedule record is not valid: \(error)")
        }
        guard r.v == 1 else { throw WireFormatError("unsupported schedule record version \(r.v)") }
        self = r
    }
}
