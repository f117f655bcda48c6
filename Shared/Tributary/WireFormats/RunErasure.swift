import Foundation

/// What `tributary erase` does to the run records of one event, decided without I/O: each run's
/// latest record is written again with the event's payload and context, the logs, the task outputs and
/// errors, the run properties and the error removed, and everything a runner needs kept (status,
/// attempt, timings, task keys and statuses, wait, flow keys), so a finished run stays finished (a
/// redelivery still runs no job twice). A run that is not finished is refused: erasing what it still
/// needs would break it (cancel it first).
public struct RunErasure: Sendable, Hashable {
    /// The header on a redacted run record: when it was erased (RFC 3339).
    public static let erasedHeader = "tributary_erased_at"

    /// One run record to write again, on the partition its run is on.
    public struct Redacted: Sendable, Hashable {
        /// The record's key (`<event key>/<job id>`).
        public var key: String
        /// The partition of `<p>.runs` it was on (co-partitioned with its event).
        public var partition: Int32
        /// The redacted record.
        public var record: WireRecord
    }

    /// The records to write, by key order.
    public var redacted: [Redacted] = []
    /// Runs that are not finished, by key: nothing is erased while there is one.
    public var unfinished: [String] = []
    /// Records of the event already erased.
    public var alreadyErased: [String] = []

    /// The plan for an event's runs, given the latest record of each (key, partition, value, headers).
    public static func plan(
        latest: [(key: String, partition: Int32, value: [UInt8], headers: [WireHeader])], at now: Date
    ) throws -> RunErasure {
        var plan = RunErasure()
        for entry in latest.sorted(by: { $0.key < $1.key }) {
            if entry.headers.contains(where: { $0.name == erasedHeader }) {
                plan.alreadyErased.append(entry.key)
                continue
            }
            let run = try RunRecord(record: WireRecord(key: Array(entry.key.utf8), value: entry.value))
            guard run.status.isFinal else {
                plan.unfinished.append("\(entry.key) (\(run.status.rawValue))")
                continue
            }
            var record = try run.erasingPayload().record()
            // The runner's own headers (status, finish time, flow windows) stay; the erasure is marked.
            record.headers = entry.headers.filter { $0.name != erasedHeader } + [WireHeader(erasedHeader, RFC3339.string(from: now))]
            plan.redacted.append(Redacted(key: entry.key, partition: entry.partition, record: record))
        }
        if !plan.unfinished.isEmpty { plan.redacted = [] }
        return plan
    }
}

extension RunRecord {
    /// This record without what came from the event or the job's handling of it: the event's payload
    /// (`null`) and context, the logs, task outputs and errors, what it waited for, run properties, and the
    /// error (`erased`). What a runner needs to know the run is settled stays. For settled runs only.
    public func erasingPayload() -> RunRecord {
        var run = self
        run.event?.payload = .null
        run.event?.payloadBytes = nil
        run.event?.context = .object([:])
        run.logs = []
        run.properties = []
        run.error = run.error.map { _ in "erased" }
        // A settled run waits for nothing: what it waited for (filters may hold the payload's values) goes too.
        run.wait = nil
        run.tasks = run.tasks.map { task in
            var task = task
            task.output = task.output.map { _ in .null }
            task.error = task.error.map { _ in "erased" }
            task.waitFor = nil
            return task
        }
        return run
    }
}
