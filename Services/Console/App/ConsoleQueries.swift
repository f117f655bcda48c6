import Foundation
import GRDB
import Tributary

/// A run in the runs list: the columns, not the record.
public struct RunSummary: Sendable, Hashable, Codable {
    public var runId: String
    public var jobId: String
    public var jobVersion: String
    public var eventId: String
    public var eventName: String
    public var source: String
    public var status: String
    public var attempt: Int
    public var createdAt: Date
    public var startedAt: Date
    public var finishedAt: Date?
    /// The error of a failed attempt, or why the run was cancelled, skipped or waits.
    public var note: String?
}

/// What the runs list shows: which runs, newest first.
public struct RunFilter: Sendable, Hashable {
    public var job: String?
    public var status: String?
    public var source: String?
    /// Only the runs of this event id.
    public var eventId: String?
    /// Only runs created at or after this time.
    public var since: Date?
    /// Only runs created before this time (the next page).
    public var before: Date?
    public var limit: Int = 50

    /// Every run, 50 at a time.
    public init(
        job: String? = nil, status: String? = nil, source: String? = nil, eventId: String? = nil, since: Date? = nil,
        before: Date? = nil, limit: Int = 50
    ) {
        self.job = job; self.status = status; self.source = source; self.eventId = eventId; self.since = since
        self.before = before; self.limit = limit
    }
}

/// A run in full: its latest record, every attempt's last record, and its dead letter if it has one.
public struct RunDetail: Sendable {
    public var record: RunRecord
    public var partition: Int32
    /// Every attempt's last record, first attempt first.
    public var attempts: [RunRecord]
    /// The run's dead letter, if it is on `<p>.dlq` (it can be replayed).
    public var deadLetter: DeadLetterRow?
}

/// A job: its latest declaration, the runners hosting it and its runs by status.
public struct JobRow: Sendable {
    public var declaration: TriggerDeclaration
    /// The live runners hosting it, and which version each hosts.
    public var runners: [(runnerId: String, host: String, version: String)]
    /// Its runs in the database, by status.
    public var runs: [String: Int]
    /// When its newest run was created.
    public var lastRunAt: Date?
}

/// A source: its state's columns and when it last got a delivery.
public struct SourceRow: Sendable {
    public var source: ProjectedSource
    public var lastDelivery: Date?
}

/// A dead letter and where it is on `<p>.dlq` (`<partition>:<offset>` names it on the pages).
public struct DeadLetterRow: Sendable {
    public var partition: Int32
    public var offset: Int64
    public var letter: DLQRecord
    /// `<partition>:<offset>`.
    public var id: String { "\(partition):\(offset)" }
}

/// A recorded delivery and its row id.
public struct DeliveryRow: Sendable {
    public var id: Int64
    public var delivery: DeliveryRecord
}

extension ConsoleStore {
    /// The runs `filter` selects, newest first.
    public func runs(_ filter: RunFilter) throws -> [RunSummary] {
        var clauses: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let job = filter.job { clauses.append("job_id = ?"); arguments.append(job) }
        if let status = filter.status { clauses.append("status = ?"); arguments.append(status) }
        if let source = filter.source { clauses.append("source = ?"); arguments.append(source) }
        if let eventId = filter.eventId { clauses.append("event_id = ?"); arguments.append(eventId) }
        if let since = filter.since { clauses.append("created_at >= ?"); arguments.append(since.timeIntervalSince1970) }
        if let before = filter.before { clauses.append("created_at < ?"); arguments.append(before.timeIntervalSince1970) }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        arguments.append(max(1, min(filter.limit, 500)))
        return try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT run_id, job_id, job_version, event_id, event_name, source, status, attempt, created_at, started_at,
                      finished_at, error, reason FROM runs \(whereClause) ORDER BY created_at DESC, run_id LIMIT ?
                    """, arguments: StatementArguments(arguments)
            ).map(Self.summary)
        }
    }

    static func summary(_ row: Row) -> RunSummary {
        let status: String = row["status"]
        let error: String? = row["error"]
        let reason: String? = row["reason"]
        return RunSummary(
            runId: row["run_id"], jobId: row["job_id"], jobVersion: row["job_version"], eventId: row["event_id"],
            eventName: row["event_name"], source: row["source"], status: status, attempt: row["attempt"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), startedAt: Date(timeIntervalSince1970: row["started_at"]),
            finishedAt: (row["finished_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            note: status == "failed" || status == "dead-lettered" ? (error ?? reason) : (reason ?? error))
    }

    /// The ids of the jobs declared, in order (the runs list's job filter).
    public func jobIds() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT job_id FROM jobs ORDER BY job_id") }
    }

    /// How many runs the database holds.
    public func runCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") ?? 0 }
    }

    /// One run in full, or nil.
    public func run(_ runId: String) throws -> RunDetail? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT record, partition FROM runs WHERE run_id = ?", arguments: [runId]) else {
                return nil
            }
            let record = try RunRecord(record: WireRecord(key: nil, value: Array(row["record"] as Data)))
            let attempts = try Row.fetchAll(
                db, sql: "SELECT record FROM run_attempts WHERE run_id = ? ORDER BY attempt", arguments: [runId]
            ).compactMap { try? RunRecord(record: WireRecord(key: nil, value: Array($0["record"] as Data))) }
            let letter = try Row.fetchOne(
                db, sql: "SELECT partition, \"offset\", record FROM dead_letters WHERE run_id = ? ORDER BY failed_at DESC LIMIT 1",
                arguments: [runId]
            ).flatMap(Self.deadLetter)
            return RunDetail(record: record, partition: row["partition"], attempts: attempts, deadLetter: letter)
        }
    }

    static func deadLetter(_ row: Row) -> DeadLetterRow? {
        guard let letter = try? JSONDecoder().decode(DLQRecord.self, from: row["record"] as Data) else { return nil }
        return DeadLetterRow(partition: row["partition"], offset: row["offset"], letter: letter)
    }

    /// Every job declared, by id, with its live runners (at `now`) and its runs by status.
    public func jobs(now: Date = Date()) throws -> [JobRow] {
        try pool.read { db in
            let presences = try Row.fetchAll(
                db, sql: "SELECT record FROM runners WHERE expires_at > ?", arguments: [now.timeIntervalSince1970]
            )
            .compactMap { try? RunnerPresence(record: WireRecord(key: nil, value: Array($0["record"] as Data))) }
            var counts: [String: [String: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT job_id, status, count(*) AS n FROM runs GROUP BY job_id, status") {
                counts[row["job_id"], default: [:]][row["status"]] = row["n"]
            }
            var last: [String: Date] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT job_id, max(created_at) AS t FROM runs GROUP BY job_id") {
                last[row["job_id"]] = Date(timeIntervalSince1970: row["t"])
            }
            return try Row.fetchAll(db, sql: "SELECT declaration FROM jobs ORDER BY job_id").compactMap { row -> JobRow? in
                guard let declaration = try? TriggerDeclaration(record: WireRecord(key: nil, value: Array(row["declaration"] as Data)))
                else { return nil }
                let hosting = presences.flatMap { presence in
                    presence.jobs.filter { $0.jobId == declaration.jobId }.map { (presence.runnerId, presence.host, $0.version) }
                }
                return JobRow(
                    declaration: declaration, runners: hosting, runs: counts[declaration.jobId] ?? [:], lastRunAt: last[declaration.jobId])
            }
        }
    }

    /// Every source, by key, with its last delivery.
    public func sources() throws -> [SourceRow] {
        try pool.read { db in
            var lastDelivery: [String: Date] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT source_key, max(received_at) AS t FROM deliveries GROUP BY source_key") {
                lastDelivery[row["source_key"]] = Date(timeIntervalSince1970: row["t"])
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM sources ORDER BY key").map { row in
                let registered = (try? JSONDecoder().decode([String: [String]].self, from: Data((row["registered"] as String).utf8))) ?? [:]
                let source = ProjectedSource(
                    key: row["key"], sourceId: row["source_id"], channel: row["channel"], active: row["active"], url: row["url"],
                    hasSecret: row["has_secret"], registered: registered, lastError: row["last_error"],
                    lastErrorAt: (row["last_error_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                    updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
                return SourceRow(source: source, lastDelivery: lastDelivery[source.key])
            }
        }
    }

    /// The newest dead letters (at most `limit`).
    public func deadLetters(limit: Int = 200) throws -> [DeadLetterRow] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT partition, \"offset\", record FROM dead_letters ORDER BY failed_at DESC LIMIT ?", arguments: [limit]
            ).compactMap(Self.deadLetter)
        }
    }

    /// The dead letters named `<partition>:<offset>`.
    public func deadLetters(ids: [String]) throws -> [DeadLetterRow] {
        let keys = ids.compactMap { id -> (Int32, Int64)? in
            let parts = id.split(separator: ":")
            guard parts.count == 2, let partition = Int32(parts[0]), let offset = Int64(parts[1]) else { return nil }
            return (partition, offset)
        }
        return try pool.read { db in
            try keys.compactMap { key in
                try Row.fetchOne(
                    db, sql: "SELECT partition, \"offset\", record FROM dead_letters WHERE partition = ? AND \"offset\" = ?",
                    arguments: [key.0, key.1]
                ).flatMap(Self.deadLetter)
            }
        }
    }

    /// The newest deliveries (only refused ones with `refusedOnly`), at most `limit`.
    public func deliveries(refusedOnly: Bool = false, sourceKey: String? = nil, limit: Int = 200) throws -> [DeliveryRow] {
        var clauses: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if refusedOnly { clauses.append("outcome <> 'accepted'") }
        if let sourceKey { clauses.append("source_key = ?"); arguments.append(sourceKey) }
        arguments.append(limit)
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        return try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM deliveries \(whereClause) ORDER BY received_at DESC, id DESC LIMIT ?",
                arguments: StatementArguments(arguments)
            ).map { row in
                let ids = (try? JSONDecoder().decode([String].self, from: Data((row["event_ids"] as String).utf8))) ?? []
                let delivery = DeliveryRecord(
                    receivedAt: Date(timeIntervalSince1970: row["received_at"]), sourceKey: row["source_key"],
                    outcome: DeliveryRecord.Outcome(rawValue: row["outcome"]), reason: row["reason"], status: row["status"],
                    size: row["size"], eventIds: ids, body: row["body"], bodyTruncated: row["body_truncated"], unrecorded: row["unrecorded"]
                )
                return DeliveryRow(id: row["id"], delivery: delivery)
            }
        }
    }

    /// The newest audit entries (of `target`, of `action` when given), at most `limit`.
    public func audit(target: String? = nil, action: String? = nil, limit: Int = 200) throws -> [AuditRecord] {
        var clauses: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let target, !target.isEmpty { clauses.append("target = ?"); arguments.append(target) }
        if let action, !action.isEmpty { clauses.append("action = ?"); arguments.append(action) }
        arguments.append(limit)
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        return try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT record FROM audit \(whereClause) ORDER BY at DESC, id DESC LIMIT ?",
                arguments: StatementArguments(arguments)
            ).compactMap { row in try? AuditRecord(record: WireRecord(key: nil, value: Array(row["record"] as Data))) }
        }
    }
}
