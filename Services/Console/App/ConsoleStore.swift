import Foundation
import GRDB
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
public final class ConsoleStore: Sendable {
    let pool: DatabasePool

    /// Opens (or creates) the database at `path` and brings its schema up to date.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
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
        try pool.write { db in
            var next: [String: [Int32: Int64]] = [:]
            for item in batch {
                try Self.apply(item.change, in: db)
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
    }

    static func apply(_ change: ProjectionChange, in db: Database) throws {
        switch change {
        case .run(let projected):
            let run = projected
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
                    projected.partition, Data(projected.json),
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
                    run.finishedAt?.timeIntervalSince1970, run.error, Data(projected.json),
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
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO dead_letters (partition, "offset", event_key, job_id, run_id, reason, attempts, failed_at, record)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    projected.partition, projected.offset, letter.original.keyString ?? "", letter.jobId, letter.runId, letter.reason,
                    letter.attempts, letter.failedAt.timeIntervalSince1970, try JSONEncoder().encode(letter),
                ])
        case .delivery(let delivery):
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
        case .skip:
            break
        }
    }

    /// Deletes runs last changed, dead letters failed and deliveries received before `cutoff`;
    /// returns how many rows went.
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
