import Foundation
import Synchronization
import Tributary

/// The event waits of hosted jobs' runs that are still open, as `<p>.waits` tells them: every
/// runner hosting a job holds all of them (whatever partition their run is on), indexed by event
/// name, so that it matches each event it takes against them. A value, fed record by record.
struct PendingWaits: Sendable {
    /// Open registrations by job, then event name, then `<p>.waits` key.
    private var byName: [String: [String: [String: WaitRecord]]] = [:]
    /// Every record held, by key (registrations, and matches and cancels not yet removed).
    private(set) var records: [String: WaitRecord] = [:]
    /// The jobs whose waits are kept.
    let jobs: Set<String>

    /// Waits of `jobs`' runs.
    init(jobs: Set<String>) { self.jobs = jobs }

    /// How many registrations are open.
    var openCount: Int { records.values.filter { $0.kind == .registration }.count }

    /// Applies a `<p>.waits` record (nil: removed); returns it decoded when it concerns a hosted job.
    @discardableResult
    mutating func apply(key: String, value: [UInt8]?) -> WaitRecord? {
        if let old = records.removeValue(forKey: key), old.kind == .registration, let wait = old.wait {
            for name in wait.names { byName[old.jobId]?[name]?[key] = nil }
        }
        guard let value, let record = try? WaitRecord(value: value), jobs.contains(record.jobId) else { return nil }
        records[key] = record
        if record.kind == .registration, let wait = record.wait {
            for name in wait.names { byName[record.jobId, default: [:]][name, default: [:]][key] = record }
        }
        return record
    }

    /// The open registrations of `jobId` that `event`, arrived at `arrivedAt`, ends.
    func matches(jobId: String, event: EventRecord, arrivedAt: Date) -> [WaitRecord] {
        guard let candidates = byName[jobId]?[event.name] else { return [] }
        return candidates.values.filter { $0.wait?.matches(event, arrivedAt: arrivedAt) ?? false }
            .sorted { $0.key < $1.key }
    }

    /// Whether any registration of `jobId` is open (events need matching at all).
    func hasOpen(jobId: String) -> Bool { byName[jobId]?.values.contains { !$0.isEmpty } ?? false }

    /// The record held under a key.
    subscript(key: String) -> WaitRecord? { records[key] }

    /// Open registrations of `jobId` written at or after `since` (to look back for after a rebalance).
    func registrations(jobId: String, since: Date) -> [WaitRecord] {
        records.values.filter { $0.jobId == jobId && $0.kind == .registration && $0.at >= since }
    }
}

/// The runner's live view of `<p>.waits` for the jobs it hosts, shared by their subscriptions:
/// ``PendingWaits`` under a lock, fed by the view's changes.
final class WaitDirectory: Sendable {
    private let state: Mutex<PendingWaits>

    /// A directory of `jobs`' waits.
    init(jobs: Set<String>) { state = Mutex(PendingWaits(jobs: jobs)) }

    /// Applies a `<p>.waits` change; returns the record when it concerns a hosted job.
    func apply(key: String, value: [UInt8]?) -> WaitRecord? { state.withLock { $0.apply(key: key, value: value) } }

    /// The open registrations of `jobId` that `event` ends.
    func matches(jobId: String, event: EventRecord, arrivedAt: Date) -> [WaitRecord] {
        state.withLock { $0.hasOpen(jobId: jobId) ? $0.matches(jobId: jobId, event: event, arrivedAt: arrivedAt) : [] }
    }

    /// The record held under `key`.
    subscript(key: String) -> WaitRecord? { state.withLock { $0[key] } }

    /// Open registrations of `jobIds` written at or after `since`.
    func registrations(jobIds: Set<String>, since: Date) -> [WaitRecord] {
        state.withLock { waits in jobIds.flatMap { waits.registrations(jobId: $0, since: since) } }
    }

    /// How many registrations are open.
    var openCount: Int { state.withLock { $0.openCount } }
}
