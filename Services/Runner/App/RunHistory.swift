import Foundation
import TributaryKafka
import Logging
import ServiceSupport
import Synchronization
import Tributary

/// What one job's subscription knows about its earlier runs, rebuilt from `<p>.runs` when partitions
/// are assigned: which runs are over for good (succeeded or dead-lettered) within the dedup window,
/// and, for unfinished ones, their last attempt and tasks (completed tasks are not run again).
///
/// Memory and restore time are bounded by the dedup window, not by the age of the system: a finished
/// run is kept as a 128-bit digest of its key and its end time (about 40 bytes), a run that finished
/// before the window stops counting (a redelivered event older than the window runs again) and its
/// key is handed back so that the runner tombstones it. Unfinished runs never expire.
final class RunHistory: Sendable {
    /// An unfinished run as the latest record of its key tells it.
    struct Entry: Sendable {
        /// The last attempt recorded.
        var attempt: Int
        /// The tasks recorded.
        var tasks: [TaskRecord]
        /// The latest record's status.
        var status: RunRecord.Status = .started
        /// The run's event, for a run that has waited (``RunRecord/isResumable``).
        var event: EventRecord?
        /// What a waiting run waits for.
        var wait: RunRecord.Wait?
        /// A flow-controlled run's key.
        var flowKey: String?
        /// The run's `traceparent` (a run that has waited): a resumption's span joins that trace.
        var traceparent: String?
    }

    /// What a run key's history says.
    enum Lookup: Sendable {
        /// Nothing known: run it.
        case unknown
        /// Started before and not over: resume it.
        case unfinished(Entry)
        /// It has waited: its event's offset is passed, and the run continues from `<p>.runs` (by
        /// the wait timers, or at once after its runner died), not from a redelivered event.
        case resumable
        /// Over for good within the window: skip it.
        case finished
    }

    private let partitions = Mutex<[Int32: RunHistoryFold]>([:])
    /// The job whose runs this history holds.
    let jobId: String
    /// How long a finished run keeps counting.
    let window: Duration

    /// A history of `jobId`'s runs, finished runs counting for `window`.
    init(jobId: String, window: Duration) {
        self.jobId = jobId
        self.window = window
    }

    /// What is known of a run key on a `<p>.runs` partition.
    func lookup(_ runKey: String, runsPartition: Int32) -> Lookup {
        partitions.withLock { $0[runsPartition]?.lookup(runKey, now: Date()) ?? .unknown }
    }

    /// Records that a run is over for good (succeeded or dead-lettered).
    func finish(_ runKey: String, runsPartition: Int32, at date: Date = Date()) {
        partitions.withLock { $0[runsPartition, default: RunHistoryFold(jobId: jobId, window: window)].finish(runKey, at: date) }
    }

    /// Records that a run suspended at a wait: a redelivery of its event is passed over from now on.
    func suspend(_ runKey: String, runsPartition: Int32) {
        partitions.withLock { $0[runsPartition, default: RunHistoryFold(jobId: jobId, window: window)].suspend(runKey) }
    }

    /// The runs of `runsPartition` that have waited and are not over, by run key, as restored.
    func resumables(runsPartition: Int32) -> [(key: String, entry: Entry)] {
        partitions.withLock { $0[runsPartition]?.resumables() ?? [] }
    }

    /// When the flow-controlled runs of `runsPartition` started, with their keys, as restored.
    func flowStarts(runsPartition: Int32) -> [RunHistoryFold.FlowStart] {
        partitions.withLock { $0[runsPartition]?.flowStartList ?? [] }
    }

    /// Forgets the runs of partitions this subscription no longer reads.
    func forget(runsPartitions: Set<Int32>) {
        partitions.withLock { state in for partition in runsPartitions { state[partition] = nil } }
    }

    /// How many finished and unfinished runs are held (for tests and the benchmark).
    var counts: (finished: Int, unfinished: Int) {
        partitions.withLock { state in
            state.values.reduce((0, 0)) { ($0.0 + $1.finishedCount, $0.1 + $1.unfinishedCount) }
        }
    }

    /// Installs a fold built elsewhere (the restore, or a test feeding records directly).
    func install(_ fold: RunHistoryFold, runsPartition: Int32) {
        partitions.withLock { $0[runsPartition] = fold }
    }

    /// Reads `partitions` of the runs topic from the beginning up to their current end and replaces
    /// what is known about them. Returns how many records were read and the keys of this job's runs
    /// that finished before the window (to tombstone), per partition.
    func rebuild(
        configuration: KafkaConfiguration, runsTopic: String, partitions wanted: Set<Int32>,
        logger: Logger
    ) async throws -> (records: Int, expired: [Int32: [String]]) {
        guard !wanted.isEmpty else { return (0, [:]) }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .error)
        let reader = try KafkaTopicReader(configuration: configuration, topic: runsTopic, partitions: wanted.sorted(), logger: quiet)
        var folds: [Int32: RunHistoryFold] = [:]
        for partition in wanted { folds[partition] = RunHistoryFold(jobId: jobId, window: window) }
        let now = Date()
        var count = 0
        var caughtUp = false
        for await event in reader {
            guard case .message(let message) = event else {
                caughtUp = true
                break
            }
            count += 1
            guard let key = message.key else { continue }
            folds[message.partition]?.apply(
                key: key, value: message.value, headers: message.headers.map { ($0.name, $0.value ?? []) },
                now: now)
        }
        await reader.close()
        guard caughtUp else {
            throw KafkaError(
                code: .timedOut, message: "reading \(runsTopic) \(wanted.sorted()) ended before it caught up", isRetriable: true)
        }
        var expired: [Int32: [String]] = [:]
        for (partition, var fold) in folds {
            let keys = fold.takeExpired()
            if !keys.isEmpty { expired[partition] = keys }
            folds[partition] = fold
        }
        let unreadable = folds.values.reduce(0) { $0 + $1.unreadable }
        if unreadable > 0 {
            logger.warning("unreadable run records skipped", metadata: [LogKey.topic: "\(runsTopic)", "records": "\(unreadable)"])
        }
        let installed = folds
        partitions.withLock { state in state.merge(installed) { _, new in new } }
        return (count, expired)
    }
}

/// The history of one job's runs on one `<p>.runs` partition, folded record by record in offset
/// order: a value type with no I/O, so the restore is tested and benchmarked by feeding it records.
/// Public for the restore benchmark (Benchmarks/RestoreBench); the runner itself uses ``RunHistory``.
public struct RunHistoryFold: Sendable {
    /// A run key reduced to 128 bits (two independently seeded SipHashes): collisions among a million
    /// keys are about 1 in 10^26, and it costs 16 bytes instead of the key's 40 to 100.
    struct Digest: Hashable, Sendable {
        var high: UInt64
        var low: UInt64

        /// The digest of a key's bytes.
        init(_ key: [UInt8]) { self = key.withUnsafeBytes { Digest(bytes: $0) } }

        /// The digest of a key's UTF-8 bytes (equal to the digest of the same bytes as an array).
        init(_ key: String) {
            var key = key
            self = key.withUTF8 { Digest(bytes: UnsafeRawBufferPointer($0)) }
        }

        /// Hashes the bytes in one go each (a byte at a time cost a tenth of the restore).
        private init(bytes: UnsafeRawBufferPointer) {
            var first = Hasher()
            var second = Hasher()
            second.combine(0x5452_4942_5554_4152 as UInt64)
            first.combine(bytes: bytes)
            second.combine(bytes: bytes)
            high = UInt64(bitPattern: Int64(first.finalize()))
            low = UInt64(bitPattern: Int64(second.finalize()))
        }
    }

    /// The job whose keys (`…/<job id>`) this fold keeps; other jobs' records are passed over.
    public let jobId: String
    private let suffix: [UInt8]
    /// How long a finished run counts, in seconds.
    public let windowSeconds: Int64
    /// Finished runs: digest → end time (seconds since 1970).
    private var finished: [Digest: Int64] = [:]
    /// Unfinished runs by key digest, as their latest record tells them: the tasks stay compact JSON,
    /// decoded only when the run is looked up (a resume), not for every unfinished run at restore.
    private var unfinished: [Digest: RunRecord.Summary] = [:]
    /// When a flow-controlled run started, with its keys (from its records' flow header).
    public struct FlowStart: Sendable, Hashable {
        /// The flow-control key.
        public var key: String
        /// The idempotency key, if the job has idempotency.
        public var idempotencyKey: String?
        /// When its first recorded attempt started.
        public var at: Date
    }

    /// Flow-controlled runs by digest (the first start seen).
    private var flowStarts: [Digest: FlowStart] = [:]

    /// The flow-controlled runs' starts.
    public var flowStartList: [FlowStart] { flowStarts.values.sorted { $0.at < $1.at } }

    /// Runs that have waited (their records carry their event), by digest: the key, kept as text
    /// to resume them after a restore.
    private var resumableKeys: [Digest: String] = [:]
    /// Keys of this job's runs seen finished before the window, to tombstone.
    private var expired: [String] = []
    /// Records that could not be read.
    public private(set) var unreadable = 0

    /// An empty fold for `jobId`'s runs.
    public init(jobId: String, window: Duration) {
        self.jobId = jobId
        self.suffix = Array("/\(jobId)".utf8)
        self.windowSeconds = max(1, window.components.seconds)
    }

    /// How many finished runs count now.
    public var finishedCount: Int { finished.count }
    /// How many unfinished runs are held.
    public var unfinishedCount: Int { unfinished.count }

    /// Applies one `<p>.runs` record (a tombstone when `value` is nil).
    public mutating func apply(key: [UInt8], value: [UInt8]?, headers: [(String, [UInt8])], now: Date) {
        guard key.count > suffix.count, key.suffix(suffix.count).elementsEqual(suffix) else { return }
        let digest = Digest(key)
        guard let value else {
            finished[digest] = nil
            unfinished[digest] = nil
            resumableKeys[digest] = nil
            flowStarts[digest] = nil
            return
        }
        var status: RunRecord.Status?
        var finishedAt: Int64?
        for (name, bytes) in headers {
            if name == RunRecord.flowHeader, flowStarts[digest] == nil, let flow = try? JSON(parsing: bytes),
                let key = flow["key"]?.stringValue, let at = flow["startedAt"]?.numberValue
            {
                flowStarts[digest] = FlowStart(
                    key: key, idempotencyKey: flow["idempotencyKey"]?.stringValue, at: Date(timeIntervalSince1970: at))
            } else if name == RunRecord.statusHeader {
                status = RunRecord.Status(rawValue: String(decoding: bytes, as: UTF8.self))
            } else if name == RunRecord.finishedAtHeader {
                finishedAt = Int64(String(decoding: bytes, as: UTF8.self))
            }
        }
        if let status, status.isFinal, let finishedAt {
            // The fast path: a final record is known from its headers, without decoding its JSON.
            record(final: digest, key: key, at: finishedAt, now: now)
            return
        }
        // Read with the JSON parser, tasks left as JSON: decoding whole records was half of the restore.
        let run: RunRecord.Summary
        do { run = try RunRecord.Summary(record: WireRecord(key: key, value: value)) } catch {
            unreadable += 1
            return
        }
        if run.isFinal {
            record(final: digest, key: key, at: Int64((run.finishedAt ?? run.startedAt).timeIntervalSince1970), now: now)
        } else {
            finished[digest] = nil
            unfinished[digest] = run
            if run.encodedEvent != nil { resumableKeys[digest] = String(decoding: key, as: UTF8.self) }
        }
    }

    private mutating func record(final digest: Digest, key: [UInt8], at seconds: Int64, now: Date) {
        if !unfinished.isEmpty { unfinished[digest] = nil }
        if !resumableKeys.isEmpty { resumableKeys[digest] = nil }
        if Int64(now.timeIntervalSince1970) - seconds >= windowSeconds {
            finished[digest] = nil
            expired.append(String(decoding: key, as: UTF8.self))
        } else {
            finished[digest] = seconds
        }
    }

    /// Records a run that just ended for good.
    mutating func finish(_ runKey: String, at date: Date) {
        let digest = Digest(runKey)
        unfinished[digest] = nil
        resumableKeys[digest] = nil
        finished[digest] = Int64(date.timeIntervalSince1970)
    }

    /// Records that a run suspended at a wait (it is resumable from now on).
    mutating func suspend(_ runKey: String) {
        let digest = Digest(runKey)
        unfinished[digest] = nil
        resumableKeys[digest] = runKey
    }

    /// The resumable runs with what their latest records say (a run suspended since the restore
    /// is left out: its runner holds it).
    func resumables() -> [(key: String, entry: RunHistory.Entry)] {
        resumableKeys.compactMap { digest, key in
            guard let run = unfinished[digest] else { return nil }
            return (key, Self.entry(run))
        }.sorted { $0.key < $1.key }
    }

    private static func entry(_ run: RunRecord.Summary) -> RunHistory.Entry {
        RunHistory.Entry(
            attempt: run.attempt, tasks: (try? run.decodeTasks()) ?? [], status: run.status,
            event: try? run.decodeEvent(), wait: try? run.decodeWait(), flowKey: run.flowKey, traceparent: run.traceparent)
    }

    /// What is known of a run key at `now` (a finished run older than the window counts as unknown).
    func lookup(_ runKey: String, now: Date) -> RunHistory.Lookup {
        let digest = Digest(runKey)
        if resumableKeys[digest] != nil { return .resumable }
        if let run = unfinished[digest] {
            // Tasks that cannot be decoded run again, as when the record was unreadable.
            return .unfinished(RunHistory.Entry(attempt: run.attempt, tasks: (try? run.decodeTasks()) ?? []))
        }
        if let at = finished[digest], Int64(now.timeIntervalSince1970) - at < windowSeconds { return .finished }
        return .unknown
    }

    /// The keys found expired so far, once each; a key that ran again inside the window is left out.
    public mutating func takeExpired() -> [String] {
        defer { expired = [] }
        return Array(Set(expired.filter { !holds($0) })).sorted()
    }

    /// Whether the fold holds anything for a key.
    private func holds(_ key: String) -> Bool {
        let digest = Digest(key)
        return unfinished[digest] != nil || finished[digest] != nil || resumableKeys[digest] != nil
    }
}
