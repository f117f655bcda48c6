import Foundation

/// The record of a run on `<p>.runs` (key: `<event key>/<job id>`), written when a run starts,
/// when its tasks complete, when it waits and when it ends. Version 1; later additions (the
/// `waiting` and `cancelled` statuses, `event`, `wait`, `reason`) are optional fields, and a reader
/// that meets a status it does not know skips the record as unreadable (it never runs it).
public struct RunRecord: Sendable, Hashable, Codable {
    /// The wire-format version written by this code.
    public static let wireVersion = 1

    /// The status of a run.
    public enum Status: String, Sendable, Hashable, Codable {
        /// The attempt is running.
        case started
        /// The run finished successfully.
        case succeeded
        /// The attempt failed (a later attempt may follow, or a dead letter).
        case failed
        /// The run failed for good: its last attempt failed and its event is on `<p>.dlq`.
        case deadLettered = "dead-lettered"
        /// The run is suspended at a wait (`wait` says until when and for what); it holds no
        /// partition and resumes from the start, completed tasks memoized, when the wait ends.
        case waiting
        /// The run was cancelled (`reason` says by what); final.
        case cancelled
        /// Flow control ran nothing for the event (`reason`: rate limited, a duplicate, debounced,
        /// folded into a batch); final.
        case skipped

        /// Whether a run in this status is over for good (it never runs again for the same event).
        public var isFinal: Bool { self == .succeeded || self == .deadLettered || self == .cancelled || self == .skipped }
    }

    /// The `wait.task` of a flow-control hold (queued, delayed, debounced, batching).
    public static let flowHoldTask = "$flow"

    /// What a waiting run waits for.
    public struct Wait: Sendable, Hashable, Codable {
        /// The task key of the wait.
        public var task: String
        /// When it ends at the latest.
        public var until: Date
        /// The events that end it sooner (`waitForEvent`).
        public var events: EventWait?
        /// A wait at `task` until `until`, or sooner for `events`.
        public init(task: String, until: Date, events: EventWait? = nil) {
            self.task = task; self.until = until; self.events = events
        }
    }

    /// The header that carries a run record's status, so a runner restoring `<p>.runs` learns which
    /// runs are over from the headers alone, without decoding the JSON.
    public static let statusHeader = "tributary_run_status"
    /// The header that carries when a run ended (seconds since 1970), for the dedup window.
    public static let finishedAtHeader = "tributary_run_finished_at"
    /// The header that carries a flow-controlled run's key, its idempotency key and when its attempt
    /// started (seconds since 1970), so a runner taking a `<p>.flow` partition over restores the
    /// limits' windows from the headers alone.
    public static let flowHeader = "tributary_flow"

    /// The format version.
    public var v: Int
    /// The run id, deterministic from (event key, job id).
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
    public var status: Status
    /// The attempt, from 1.
    public var attempt: Int
    /// The log lines of the attempt.
    public var logs: [RunLogLine]
    /// The tasks of the run so far (results of completed ones are reused on a retry).
    public var tasks: [TaskRecord]
    /// Run properties from the event specification.
    public var properties: [RunProperty]
    /// The error of a failed attempt.
    public var error: String?
    /// When the attempt started.
    public var startedAt: Date
    /// When the attempt ended.
    public var finishedAt: Date?
    /// The run's event, carried by every record of a run once it has waited: its event's offset is
    /// passed by then, and the event may leave `<p>.events` by retention before the run resumes.
    public var event: EventRecord?
    /// What a `waiting` run waits for.
    public var wait: Wait?
    /// Why a run was cancelled or skipped, or why it waits (a flow-control hold).
    public var reason: String?
    /// The flow-control key of a flow-controlled job's run.
    public var flowKey: String?
    /// The idempotency key of a run of a job with idempotency.
    public var idempotencyKey: String?
    /// The run's W3C trace context (`00-<trace id>-<span id>-<flags>`): its run span's when the runner
    /// exports traces, else the `traceparent` its event carried. Records of older runners have none.
    public var traceparent: String?

    /// Creates a record.
    public init(
        runId: String, jobId: String, jobVersion: String, eventKey: String, eventId: String, eventName: String,
        source: String, status: Status, attempt: Int, logs: [RunLogLine] = [], tasks: [TaskRecord] = [],
        properties: [RunProperty] = [], error: String? = nil, startedAt: Date, finishedAt: Date? = nil
    ) {
        self.v = Self.wireVersion; self.runId = runId; self.jobId = jobId; self.jobVersion = jobVersion
        self.eventKey = eventKey; self.eventId = eventId; self.eventName = eventName; self.source = source
        self.status = status; self.attempt = attempt; self.logs = logs; self.tasks = tasks; self.properties = properties
        self.error = error; self.startedAt = startedAt; self.finishedAt = finishedAt
    }

    /// A started record for `context`'s run of `event`.
    public init(starting context: RunContext, event: EventRecord, properties: [RunProperty] = [], at: Date = Date()) {
        self.init(
            runId: context.runId, jobId: context.job.id, jobVersion: context.job.version, eventKey: event.key,
            eventId: event.id, eventName: event.name, source: event.source, status: .started,
            attempt: context.attempt, properties: properties, startedAt: at)
    }

    /// The `<p>.runs` key of a run.
    public static func key(eventKey: String, jobId: String) -> String { "\(eventKey)/\(jobId)" }

    /// Whether the attempt is over (a waiting run's attempt is over too).
    public var isFinished: Bool { status != .started }

    /// Whether the run has waited: its records carry its event, and runners resume it from
    /// `<p>.runs` rather than from its event's offset.
    public var isResumable: Bool { event != nil }

    /// Whether the run is over for good (succeeded or dead-lettered). Records of older runners that
    /// mark a dead letter only by their last log line count too.
    public var isFinal: Bool { Self.isFinal(status, lastLog: logs.last?.message) }

    /// Whether a record with `status` whose last log line says `lastLog` ends its run for good.
    static func isFinal(_ status: Status, lastLog: String?) -> Bool {
        status.isFinal || (status == .failed && lastLog == deadLetteredMessage)
    }

    /// The message of the log line that older runners wrote as a dead-lettered run's last line.
    public static let deadLetteredMessage = "run failed for good; event dead-lettered"

    /// The `<p>.runs` record, with the status (and end time of a final record) in headers.
    public func record() throws -> WireRecord {
        var headers: [WireHeader] = []
        headers.reserveCapacity(3)  // status, flow, finished at: one allocation
        headers.append(WireHeader(Self.statusHeader, status.rawValue))
        if let flowKey {
            let flow: JSON = [
                "key": .string(flowKey), "idempotencyKey": idempotencyKey.map(JSON.string) ?? .null,
                "startedAt": .number(startedAt.timeIntervalSince1970.rounded(.down)),
            ]
            headers.append(WireHeader(Self.flowHeader, flow.encoded()))
        }
        if status.isFinal {
            let seconds = Int64((finishedAt ?? startedAt).timeIntervalSince1970)
            headers.append(WireHeader(Self.finishedAtHeader, "\(seconds)"))
        }
        return WireRecord(key: Array(Self.key(eventKey: eventKey, jobId: jobId).utf8), value: try encodedJSON(), headers: headers)
    }

    /// The record's JSON, byte for byte what `JSONCoding.encoder` (Codable, sorted keys) writes, with
    /// its own fields written by hand: Codable encoding was 39% of a trivial run's CPU. Nested values
    /// that are there (logs, tasks, properties, the event, the wait) still go through the encoder.
    func encodedJSON() throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(384)
        out.append(UInt8(ascii: "{"))
        var first = true
        func key(_ name: StaticString) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        func string(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            key(name)
            JSON.writeString(value, to: &out)
        }
        func nested<T: Encodable>(_ name: StaticString, _ value: T?, empty: Bool = false) throws {
            guard let value else { return }
            key(name)
            if empty {
                out.append(contentsOf: [UInt8(ascii: "["), UInt8(ascii: "]")])
            } else {
                out.append(contentsOf: try JSONCoding.encoder.encode(value))
            }
        }
        key("attempt")
        out.append(contentsOf: String(attempt).utf8)
        string("error", error)
        try nested("event", event)
        string("eventId", eventId)
        string("eventKey", eventKey)
        string("eventName", eventName)
        string("finishedAt", finishedAt.map(RFC3339.string(from:)))
        string("flowKey", flowKey)
        string("idempotencyKey", idempotencyKey)
        string("jobId", jobId)
        string("jobVersion", jobVersion)
        try nested("logs", logs, empty: logs.isEmpty)
        try nested("properties", properties, empty: properties.isEmpty)
        string("reason", reason)
        string("runId", runId)
        string("source", source)
        string("startedAt", RFC3339.string(from: startedAt))
        string("status", status.rawValue)
        try nested("tasks", tasks, empty: tasks.isEmpty)
        string("traceparent", traceparent)
        key("v")
        out.append(contentsOf: String(v).utf8)
        try nested("wait", wait)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// What restoring a run history reads of a run record: its status, attempt, times, whether it is
    /// final, and its tasks kept as compact JSON bytes (``decodeTasks()`` makes them `TaskRecord`s
    /// when the run is resumed). It is read with Tributary's own JSON parser rather than Codable:
    /// Codable decoding of every unfinished run's tasks was half of a restore.
    public struct Summary: Sendable {
        /// The status.
        public var status: Status
        /// The attempt, from 1.
        public var attempt: Int
        /// When the attempt started.
        public var startedAt: Date
        /// When the attempt ended.
        public var finishedAt: Date?
        /// Whether the run is over for good (as ``RunRecord/isFinal``).
        public var isFinal: Bool
        /// The `tasks` array, re-encoded compactly.
        public var encodedTasks: [UInt8]
        /// The `event` object re-encoded compactly, for a run that has waited (see ``RunRecord/isResumable``).
        public var encodedEvent: [UInt8]?
        /// When a waiting run's wait ends at the latest.
        public var waitUntil: Date?
        /// The `wait` object re-encoded compactly.
        public var encodedWait: [UInt8]?
        /// A flow-controlled run's key.
        public var flowKey: String?
        /// The run's `traceparent`, kept for a run that has waited (its resumption joins the trace).
        public var traceparent: String?

        /// Reads the summary of a `<p>.runs` record; throws for a tombstone, invalid JSON, another
        /// version, or a missing or mistyped `v`, `status`, `attempt`, `startedAt`, `finishedAt`,
        /// `logs` or `tasks` (the tasks' own fields are checked by ``decodeTasks()``).
        public init(record: WireRecord) throws {
            guard let value = record.value else { throw WireFormatError("run record has no value (tombstone)") }
            let json: JSON
            do { json = try JSON(parsing: value) } catch { throw WireFormatError("run record is not valid: \(error)") }
            guard case .object(let fields) = json else { throw WireFormatError("run record is not a JSON object") }
            guard let version = fields["v"]?.numberValue else { throw WireFormatError("run record has no version") }
            guard version == 1 else { throw WireFormatError("unsupported run record version \(version)") }
            guard let status = fields["status"]?.stringValue.flatMap(Status.init(rawValue:)),
                let attempt = fields["attempt"]?.numberValue.flatMap({ Int(exactly: $0) }),
                let startedAt = fields["startedAt"]?.stringValue.flatMap(RFC3339.date(from:)),
                let logs = fields["logs"]?.arrayValue, let tasks = fields["tasks"]?.arrayValue
            else {
                throw WireFormatError("run record lacks its status, attempt, start time, logs or tasks")
            }
            var finishedAt: Date?
            if let end = fields["finishedAt"], !end.isNull {
                guard let date = end.stringValue.flatMap(RFC3339.date(from:)) else {
                    throw WireFormatError("run record has an invalid finishedAt")
                }
                finishedAt = date
            }
            var lastLog: String?
            if let last = logs.last {
                guard let message = last["message"]?.stringValue else {
                    throw WireFormatError("run record has a log line without a message")
                }
                lastLog = message
            }
            self.status = status
            self.attempt = attempt
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.isFinal = RunRecord.isFinal(status, lastLog: lastLog)
            self.encodedTasks = JSON.array(tasks).encoded()
            if let event = fields["event"], !event.isNull {
                self.encodedEvent = event.encoded()
                self.traceparent = fields["traceparent"]?.stringValue
            }
            self.flowKey = fields["flowKey"]?.stringValue
            if let wait = fields["wait"], !wait.isNull {
                guard let until = wait["until"]?.stringValue.flatMap(RFC3339.date(from:)) else {
                    throw WireFormatError("run record has a wait without its end")
                }
                self.waitUntil = until
                self.encodedWait = wait.encoded()
            }
        }

        /// The event of a run that has waited.
        public func decodeEvent() throws -> EventRecord? {
            guard let encodedEvent else { return nil }
            do { return try JSONCoding.decoder.decode(EventRecord.self, from: Data(encodedEvent)) } catch {
                throw WireFormatError("run record has an invalid event: \(error)")
            }
        }

        /// What a waiting run waits for.
        public func decodeWait() throws -> Wait? {
            guard let encodedWait else { return nil }
            do { return try JSONCoding.decoder.decode(Wait.self, from: Data(encodedWait)) } catch {
                throw WireFormatError("run record has an invalid wait: \(error)")
            }
        }

        /// The tasks as records (Codable, as ``RunRecord/init(record:)`` reads them). A task this version
        /// cannot read (e.g. a status a later version added) is left out, the others kept: a left-out task
        /// runs again, a kept completed one is not repeated. Throws only when the list itself is not JSON.
        public func decodeTasks() throws -> [TaskRecord] {
            if let all = try? JSONCoding.decoder.decode([TaskRecord].self, from: Data(encodedTasks)) { return all }
            let items: [JSON]
            do { items = try JSONCoding.decoder.decode([JSON].self, from: Data(encodedTasks)) } catch {
                throw WireFormatError("run record has invalid tasks: \(error)")
            }
            return items.compactMap { try? JSONCoding.decoder.decode(TaskRecord.self, from: Data($0.encoded())) }
        }
    }

    /// Reads a `<p>.runs` record.
    public init(record: WireRecord) throws {
        guard let value = record.value else { throw WireFormatError("run record has no value (tombstone)") }
        let r: RunRecord
        do { r = try JSONCoding.decoder.decode(RunRecord.self, from: Data(value)) } catch {
            throw WireFormatError("run record is not valid: \(error)")
        }
        guard r.v == 1 else { throw WireFormatError("unsupported run record version \(r.v)") }
        self = r
    }
}
