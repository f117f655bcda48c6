import Foundation
import GRDB
import Synchronization
import Tributary

/// One projected record with where it came from: its change and its topic, partition and offset.
public struct ProjectedRecord: Sendable {
    public var change: ProjectionChange
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    /// A record of `topic`'s `partition` at `offset`.
    public init(change: ProjectionChange, topic: String, partition: Int32, offset: Int64) {
        self.change = change; self.topic = topic; self.partition = partition; self.offset = offset
    }
}

/// The console's SQLite database (GRDB, WAL mode): the projected runs, attempts, jobs, runners,
/// sources, dead letters and deliveries, and per topic partition the next offset to read. A batch of
/// changes and its offsets commit in one transaction, so a restart resumes exactly where the last
/// commit ended, and a deleted file is rebuilt from the topics' beginnings.
///
/// An event erased with `tributary erase` (a completed `erase` on `<p>.audit`) is erased here too:
/// its runs' records (every attempt's) lose the payload and logs, its deliveries their bodies, its dead
/// letters go; and whatever of it arrives later (a rebuild reads the topics again) is stored erased.
/// The database deletes securely (`secure_delete`), so erased bytes do not linger in free pages.
public final class ConsoleStore: Sendable {
    let pool: DatabasePool
    /// The erased events, as `erased_events` holds them (checked on every record, so kept in memory).
    private let erased: Mutex<ErasedEvents>

    /// Opens (or creates) the database at `path` and brings its schema up to date.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
        erased = Mutex(
            try pool.read { db in
                var events = ErasedEvents()
                for row in try Row.fetchAll(db, sql: "SELECT event_key, event_id FROM erased_events") {
                    events.insert(key: row["event_key"], id: row["event_id"])
                }
                return events
            })
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE runs (
                      run_id TEXT PRIMARY KEY, run_key TEXT NOT NULL, job_id TEXT NOT NULL, job_version TEXT NOT NULL,
                      event_id TEXT NOT NULL, event_key TEXT NOT NULL, event_name TEXT NOT NULL, source TEXT NOT NULL,
                      status TEXT NOT NULL, attempt INTEGER NOT NULL, created_at REAL NOT NULL, started_at REAL NOT NULL,
                      finished_at REAL, updated_at REAL NOT NULL, error TEXT, reason TEXT, partition INTEGER NOT NULL,
                      record BLOB NOT NULL);
                    CREATE INDEX runs_by_created ON runs(created_at DESC, run_id);
                    CREATE INDEX runs_by_job ON runs(job_id, created_at DESC);
                    CREATE INDEX runs_by_status ON runs(status, created_at DESC);
                    CREATE INDEX runs_by_source ON runs(source, created_at DESC);
                    CREATE INDEX runs_by_event ON runs(event_id);
                    CREATE INDEX runs_by_updated ON runs(updated_at);
                    CREATE INDEX runs_by_job_status ON runs(job_id, status);
                    CREATE TABLE run_attempts (
                      run_id TEXT NOT NULL, attempt INTEGER NOT NULL, status TEXT NOT NULL, started_at REAL NOT NULL,
                      finished_at REAL, error TEXT, record BLOB NOT NULL, PRIMARY KEY (run_id, attempt));
                    CREATE TABLE jobs (
                      job_id TEXT PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL, declaration BLOB NOT NULL,
                      updated_at REAL NOT NULL);
                    CREATE TABLE runners (key TEXT PRIMARY KEY, runner_id TEXT NOT NULL, expires_at REAL NOT NULL, record BLOB NOT NULL);
                    CREATE TABLE sources (
                      key TEXT PRIMARY KEY, source_id TEXT NOT NULL, channel TEXT NOT NULL, active INTEGER NOT NULL, url TEXT,
                      has_secret INTEGER NOT NULL, registered TEXT NOT NULL, last_error TEXT, last_error_at REAL,
                      updated_at REAL NOT NULL);
                    CREATE TABLE dead_letters (
                      partition INTEGER NOT NULL, "offset" INTEGER NOT NULL, event_key TEXT NOT NULL, job_id TEXT, run_id TEXT,
                      reason TEXT NOT NULL, attempts INTEGER NOT NULL, failed_at REAL NOT NULL, record BLOB NOT NULL,
                      PRIMARY KEY (partition, "offset"));
                    CREATE INDEX dead_letters_by_time ON dead_letters(failed_at DESC);
                    CREATE INDEX dead_letters_by_run ON dead_letters(run_id);
                    CREATE TABLE deliveries (
                      id INTEGER PRIMARY KEY AUTOINCREMENT, received_at REAL NOT NULL, source_key TEXT NOT NULL,
                      outcome TEXT NOT NULL, reason TEXT, status INTEGER NOT NULL, size INTEGER NOT NULL, event_ids TEXT NOT NULL,
                      body TEXT, body_truncated INTEGER NOT NULL, unrecorded INTEGER NOT NULL);
                    CREATE INDEX deliveries_by_time ON deliveries(received_at DESC);
                    CREATE TABLE offsets (topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
                      PRIMARY KEY (topic, partition));
                    """)
        }
        migrator.registerMigration("v2: audit trail, erased events") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit (
                      id TEXT PRIMARY KEY, at REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
                      outcome TEXT NOT NULL, message TEXT NOT NULL, record BLOB NOT NULL);
                    CREATE INDEX audit_by_time ON audit(at DESC);
                    CREATE TABLE erased_events (event_key TEXT PRIMARY KEY, event_id TEXT NOT NULL, erased_at REAL NOT NULL);
                    """)
        }
        return migrator
    }

    /// The next offset to read of every topic partition projected so far.
    public func offsets() throws -> [String: [Int32: Int64]] {
        try pool.read { db in
            var offsets: [String: [Int32: Int64]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT topic, partition, next_offset FROM offsets") {
                offsets[row["topic"], default: [:]][row["partition"]] = row["next_offset"]
            }
            return offsets
        }
    }

    /// Applies a batch of records and stores each partition's next offset, in one transaction.
    public func apply(_ batch: [ProjectedRecord]) throws {
        guard !batch.isEmpty else { return }
        var erased = self.erased.withLock { $0 }
        let erasing = batch.contains {
            if case .audit(let entry) = $0.change { entry.action == "erase" && entry.outcome == .ok } else { false }
        }
        try pool.write { db in
            var next: [String: [Int32: Int64]] = [:]
            for item in batch {
                try Self.apply(item.change, in: db, erased: &erased)
                next[item.topic, default: [:]][item.partition] = max(next[item.topic]?[item.partition] ?? 0, item.offset + 1)
            }
            for (topic, partitions) in next {
                for (partition, offset) in partitions {
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO offsets (topic, partition, next_offset) VALUES (?, ?, ?)
                            ON CONFLICT (topic, partition) DO UPDATE SET next_offset = max(next_offset, excluded.next_offset)
                            """
                    ).execute(arguments: [topic, partition, offset])
                }
            }
        }
        self.erased.withLock { $0 = erased }
        // The write-ahead log still holds the pages as they were before the erasure: fold it into the
        // file (whose freed bytes `secure_delete` zeroes) and empty it. With readers active the log is
        // emptied at a later checkpoint.
        if erasing { _ = try? pool.writeWithoutTransaction { try $0.checkpoint(.truncate) } }
    }

    static func apply(_ change: ProjectionChange, in db: Database, erased: inout ErasedEvents) throws {
        switch change {
        case .run(let projected):
            var run = projected
            if erased.contains(key: run.eventKey) { run.json = try Self.erasing(run.json) }
            let updated = (run.finishedAt ?? run.startedAt).timeIntervalSince1970
            try db.cachedStatement(
                sql: """
                    INSERT INTO runs (run_id, run_key, job_id, job_version, event_id, event_key, event_name, source, status,
                      attempt, created_at, started_at, finished_at, updated_at, error, reason, partition, record)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (run_id) DO UPDATE SET job_version = excluded.job_version, status = excluded.status,
                      attempt = excluded.attempt, created_at = min(created_at, excluded.created_at),
                      started_at = excluded.started_at, finished_at = excluded.finished_at,
                      updated_at = max(updated_at, excluded.updated_at), error = excluded.error, reason = excluded.reason,
                      partition = excluded.partition, record = excluded.record
                    """
            ).execute(
                arguments: [
                    run.runId, RunRecord.key(eventKey: run.eventKey, jobId: run.jobId), run.jobId, run.jobVersion, run.eventId,
                    run.eventKey, run.eventName, run.source, run.status.rawValue, run.attempt, run.startedAt.timeIntervalSince1970,
                    run.startedAt.timeIntervalSince1970, run.finishedAt?.timeIntervalSince1970, updated, run.error, run.reason,
                    run.partition, Data(run.json),
                ])
            try db.cachedStatement(
                sql: """
                    INSERT INTO run_attempts (run_id, attempt, status, started_at, finished_at, error, record)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (run_id, attempt) DO UPDATE SET status = excluded.status, started_at = excluded.started_at,
                      finished_at = excluded.finished_at, error = excluded.error, record = excluded.record
                    """
            ).execute(
                arguments: [
                    run.runId, run.attempt, run.status.rawValue, run.startedAt.timeIntervalSince1970,
                    run.finishedAt?.timeIntervalSince1970, run.error, Data(run.json),
                ])
        case .job(let jobId, let name, let version, let declaration):
            try db.execute(
                sql: """
                    INSERT INTO jobs (job_id, name, version, declaration, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (job_id) DO UPDATE SET name = excluded.name, version = excluded.version,
                      declaration = excluded.declaration, updated_at = excluded.updated_at
                    """, arguments: [jobId, name, version, Data(declaration), Date().timeIntervalSince1970])
        case .runner(let runnerId, let expiresAt, let record):
            try db.execute(
                sql: """
                    INSERT INTO runners (key, runner_id, expires_at, record) VALUES (?, ?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, record = excluded.record
                    """, arguments: [RunnerPresence.key(runnerId: runnerId), runnerId, expiresAt.timeIntervalSince1970, Data(record)])
        case .removeTrigger(let key):
            try db.execute(sql: "DELETE FROM jobs WHERE job_id = ?", arguments: [key])
            try db.execute(sql: "DELETE FROM runners WHERE key = ?", arguments: [key])
        case .source(let source):
            let registered = String(decoding: try JSONEncoder().encode(source.registered), as: UTF8.self)
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO sources (key, source_id, channel, active, url, has_secret, registered, last_error,
                      last_error_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    source.key, source.sourceId, source.channel, source.active, source.url, source.hasSecret, registered,
                    source.lastError, source.lastErrorAt?.timeIntervalSince1970, source.updatedAt.timeIntervalSince1970,
                ])
        case .removeSource(let key):
            try db.execute(sql: "DELETE FROM sources WHERE key = ?", arguments: [key])
        case .deadLetter(let projected):
            let letter = projected.letter
            if let key = letter.original.keyString, erased.contains(key: key) { return }
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO dead_letters (partition, "offset", event_key, job_id, run_id, reason, attempts, failed_at, record)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    projected.partition, projected.offset, letter.original.keyString ?? "", letter.jobId, letter.runId, letter.reason,
                    letter.attempts, letter.failedAt.timeIntervalSince1970, try JSONEncoder().encode(letter),
                ])
        case .delivery(var delivery):
            if delivery.body != nil, delivery.eventIds.contains(where: erased.contains(id:)) { delivery.body = nil }
            let ids = String(decoding: try JSONEncoder().encode(delivery.eventIds), as: UTF8.self)
            try db.cachedStatement(
                sql: """
                    INSERT INTO deliveries (received_at, source_key, outcome, reason, status, size, event_ids, body, body_truncated, unrecorded)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    delivery.receivedAt.timeIntervalSince1970, delivery.sourceKey, delivery.outcome.rawValue, delivery.reason,
                    delivery.status, delivery.size, ids, delivery.body, delivery.bodyTruncated, delivery.unrecorded,
                ])
        case .audit(let entry):
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO audit (id, at, actor, action, target, outcome, message, record)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    entry.id, entry.at.timeIntervalSince1970, entry.actor, entry.action, entry.target, entry.outcome.rawValue,
                    entry.message, Data(try entry.record().value ?? []),
                ])
            if entry.action == "erase", entry.outcome == .ok { try erase(entry, in: db, erased: &erased) }
        case .skip:
            break
        }
    }

    /// Erases the console's copy of the event a completed `erase` names (its target is the event key).
    private static func erase(_ entry: AuditRecord, in db: Database, erased: inout ErasedEvents) throws {
        let key = entry.target
        let stored = try String.fetchOne(db, sql: "SELECT event_id FROM runs WHERE event_key = ? LIMIT 1", arguments: [key])
        let id = entry.details?["eventId"]?.stringValue ?? stored ?? String(key.split(separator: "/").last ?? Substring(key))
        try db.execute(
            sql: "INSERT OR IGNORE INTO erased_events (event_key, event_id, erased_at) VALUES (?, ?, ?)",
            arguments: [key, id, entry.at.timeIntervalSince1970])
        erased.insert(key: key, id: id)
        for row in try Row.fetchAll(db, sql: "SELECT run_id, record FROM runs WHERE event_key = ?", arguments: [key]) {
            let runId: String = row["run_id"]
            let record: Data = row["record"]
            try db.execute(
                sql: "UPDATE runs SET record = ? WHERE run_id = ?", arguments: [Data(try erasing(Array(record))), runId])
            for attempt in try Row.fetchAll(db, sql: "SELECT attempt, record FROM run_attempts WHERE run_id = ?", arguments: [runId]) {
                let json: Data = attempt["record"]
                try db.execute(
                    sql: "UPDATE run_attempts SET record = ? WHERE run_id = ? AND attempt = ?",
                    arguments: [Data(try erasing(Array(json))), runId, attempt["attempt"] as Int])
            }
        }
        try db.execute(
            sql: """
                UPDATE deliveries SET body = NULL
                WHERE body IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(deliveries.event_ids) WHERE json_each.value = ?)
                """, arguments: [id])
        try db.execute(sql: "DELETE FROM dead_letters WHERE event_key = ?", arguments: [key])
    }

    /// A run record's JSON without the payload, logs, outputs and errors (``RunRecord/erasingPayload()``);
    /// a record this code cannot read is dropped to its columns' `{}` rather than kept whole.
    static func erasing(_ json: [UInt8]) throws -> [UInt8] {
        guard let run = try? RunRecord(record: WireRecord(key: nil, value: json)) else { return Array("{}".utf8) }
        return try run.erasingPayload().record().value ?? []
    }

    /// Deletes runs last changed, dead letters failed and deliveries received before `cutoff`;
    /// returns how many rows went. The audit trail and the erased events stay (few rows; an erased
    /// event must stay erased when a rebuild reads it again).
    @discardableResult
    public func prune(before cutoff: Date) throws -> Int {
        try pool.write { db in
            let time = cutoff.timeIntervalSince1970
            try db.execute(
                sql: "DELETE FROM run_attempts WHERE run_id IN (SELECT run_id FROM runs WHERE updated_at < ?)", arguments: [time])
            try db.execute(sql: "DELETE FROM runs WHERE updated_at < ?", arguments: [time])
            var removed = db.changesCount
            try db.execute(sql: "DELETE FROM dead_letters WHERE failed_at < ?", arguments: [time])
            removed += db.changesCount
            try db.execute(sql: "DELETE FROM deliveries WHERE received_at < ?", arguments: [time])
            removed += db.changesCount
            return removed
        }
    }
}

/// The events erased so far, by event key and by event id (deliveries name their events by id only).
struct ErasedEvents: Sendable {
    private var keys: Set<String> = []
    private var ids: Set<String> = []

    /// Adds an erased event.
    mutating func insert(key: String, id: String) {
        keys.insert(key)
        ids.insert(id)
    }

    /// Whether the event under `key` was erased.
    func contains(key: String) -> Bool { !keys.isEmpty && keys.contains(key) }

    /// Whether an event with this id was erased.
    func contains(id: String) -> Bool { !ids.isEmpty && ids.contains(id) }
}
