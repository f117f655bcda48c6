import Foundation

/// A runner's heartbeat on `<p>.triggers` (key `presence/<runner id>`): which jobs, in which
/// versions, it hosts, and until when it counts as live. Runners read each other's presence to
/// decide which version of a job runs (the newest one hosted by a live runner); the registrar reads it
/// to register the union of the live versions' events. A runner that stops writes a tombstone; one
/// that dies stops counting at `expiresAt`. Version 1.
public struct RunnerPresence: Sendable, Hashable, Codable {
    /// The wire-format version written by this code.
    public static let wireVersion = 1
    /// The key prefix that tells presence records from trigger declarations on `<p>.triggers`.
    public static let keyPrefix = "presence/"

    /// A job as one runner hosts it.
    public struct HostedJob: Sendable, Hashable, Codable {
        /// The job's declaration in the version this runner hosts.
        public var declaration: TriggerDeclaration
        /// Whether this runner consumes the job's events now (false while a newer version is live elsewhere).
        public var active: Bool
        /// Creates an entry.
        public init(declaration: TriggerDeclaration, active: Bool) {
            self.declaration = declaration
            self.active = active
        }
        /// The job id.
        public var jobId: String { declaration.jobId }
        /// The version hosted.
        public var version: String { declaration.version }
    }

    /// The format version.
    public var v: Int
    /// The runner's id (unique per process).
    public var runnerId: String
    /// The host name, for people.
    public var host: String
    /// When the runner started hosting these jobs: the time a newer version takes over from.
    public var startedAt: Date
    /// When this heartbeat was written.
    public var heartbeatAt: Date
    /// Until when this runner counts as live without another heartbeat.
    public var expiresAt: Date
    /// The jobs it hosts.
    public var jobs: [HostedJob]

    /// Creates a presence record.
    public init(runnerId: String, host: String, startedAt: Date, heartbeatAt: Date, expiresAt: Date, jobs: [HostedJob]) {
        self.v = Self.wireVersion; self.runnerId = runnerId; self.host = host; self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt; self.expiresAt = expiresAt; self.jobs = jobs
    }

    /// The record's key.
    public var key: String { Self.key(runnerId: runnerId) }

    /// The key of a runner's presence record.
    public static func key(runnerId: String) -> String { keyPrefix + runnerId }

    /// Whether a `<p>.triggers` key is a presence record's.
    public static func isPresenceKey(_ key: String) -> Bool { key.hasPrefix(keyPrefix) }

    /// Whether the runner counts as live at `now`.
    public func isLive(at now: Date) -> Bool { expiresAt > now }

    /// The `<p>.triggers` record.
    public func record() throws -> WireRecord {
        WireRecord(key: Array(key.utf8), value: Array(try JSONCoding.encoder.encode(self)))
    }

    /// The tombstone a runner writes when it stops.
    public static func tombstone(runnerId: String) -> WireRecord { WireRecord(key: Array(key(runnerId: runnerId).utf8), value: nil) }

    /// Reads a presence record.
    public init(record: WireRecord) throws {
        guard let value = record.value else { throw WireFormatError("presence record has no value (tombstone)") }
        let p: RunnerPresence
        do { p = try JSONCoding.decoder.decode(RunnerPresence.self, from: Data(value)) } catch {
            throw WireFormatError("presence record is not valid: \(error)")
        }
        guard p.v == 1 else { throw WireFormatError("unsupported presence record version \(p.v)") }
        self = p
    }
}

/// What `<p>.triggers` says about the jobs: the latest declaration of each job and the live runners'
/// presence. Pure: built from a snapshot of the topic and a time, so it is tested without Kafka.
public struct JobDirectory: Sendable {
    /// The latest declaration of each job id (what the last runner to declare it wrote).
    public var declarations: [String: TriggerDeclaration]
    /// The presence of every runner live at the snapshot's time.
    public var live: [RunnerPresence]

    /// Reads a snapshot of `<p>.triggers` (key to value); unreadable records are left out.
    public init(snapshot: [String: [UInt8]], now: Date) {
        var declarations: [String: TriggerDeclaration] = [:]
        var live: [RunnerPresence] = []
        for (key, value) in snapshot {
            if RunnerPresence.isPresenceKey(key) {
                if let presence = try? RunnerPresence(record: WireRecord(key: Array(key.utf8), value: value)), presence.isLive(at: now) {
                    live.append(presence)
                }
            } else if let declaration = try? TriggerDeclaration(record: WireRecord(key: Array(key.utf8), value: value)) {
                declarations[declaration.jobId] = declaration
            }
        }
        self.declarations = declarations
        self.live = live.sorted { $0.runnerId < $1.runnerId }
    }

    /// The newest version of `jobId` hosted by a live runner, and the earliest time a live runner
    /// started hosting it (nil when no live runner hosts the job).
    public func newestLive(_ jobId: String) -> (version: String, since: Date)? {
        var best: (version: String, since: Date)?
        for presence in live {
            for hosted in presence.jobs where hosted.jobId == jobId {
                if let current = best {
                    let order = JobVersion.compare(hosted.version, current.version)
                    if order > 0 || (order == 0 && presence.startedAt < current.since) {
                        best = (hosted.version, presence.startedAt)
                    }
                } else {
                    best = (hosted.version, presence.startedAt)
                }
            }
        }
        return best
    }

    /// The declarations whose events the registrar keeps registered: every live version of every job
    /// (so a rolling deploy loses no event of either version), and the latest declaration of a job no
    /// live runner hosts (so a full outage of the runners unregisters nothing).
    public var effectiveDeclarations: [TriggerDeclaration] {
        var result: [TriggerDeclaration] = []
        var seen = Set<String>()
        var liveJobs = Set<String>()
        for presence in live {
            for hosted in presence.jobs {
                liveJobs.insert(hosted.jobId)
                if seen.insert("\(hosted.jobId)@\(hosted.version)").inserted { result.append(hosted.declaration) }
            }
        }
        for (jobId, declaration) in declarations.sorted(by: { $0.key < $1.key }) where !liveJobs.contains(jobId) {
            result.append(declaration)
        }
        return result
    }
}
