import Foundation
import TributaryKafka
import Synchronization
import Tributary

/// The task store of one run, backed by `<p>.runs`: it starts from the tasks restored from earlier
/// attempts, and every completed or failed task (and every wait's deadline) is written to the run's
/// record and acknowledged before the job goes on, so a runner that dies resumes with it memoized.
/// (The registrar's registration runs have their own store, `RegistrationTaskStore`, on `<p>.registrar`.)
final class RunTaskStore: TaskStore {
    private struct State {
        var records: [String: TaskRecord] = [:]
        var order: [String] = []
        /// The record written on each durable save: the current attempt's `started` record.
        var template: RunRecord?
        var log: RunLog?
    }

    private let state: Mutex<State>
    private let persist: @Sendable (RunRecord) async throws -> Void

    /// A store holding `restored` tasks that writes records through `persist`.
    init(restored: [TaskRecord], persist: @escaping @Sendable (RunRecord) async throws -> Void) {
        var initial = State()
        for task in restored {
            if initial.records[task.key] == nil { initial.order.append(task.key) }
            initial.records[task.key] = task
        }
        state = Mutex(initial)
        self.persist = persist
    }

    /// Starts an attempt: later saves write `record` with the tasks and log lines so far.
    func begin(_ record: RunRecord, log: RunLog) {
        state.withLock {
            $0.template = record
            $0.log = log
        }
    }

    /// Every task so far, in first-saved order.
    var all: [TaskRecord] { state.withLock { state in state.order.compactMap { state.records[$0] } } }

    func task(runId: String, key: String) async throws -> TaskRecord? {
        state.withLock { $0.records[key] }
    }

    func save(_ task: TaskRecord) async throws {
        let record = state.withLock { state -> RunRecord? in
            if state.records[task.key] == nil { state.order.append(task.key) }
            state.records[task.key] = task
            guard task.status != .pending || task.resumeAt != nil, var record = state.template else { return nil }
            record.tasks = state.order.compactMap { state.records[$0] }
            record.logs = state.log?.lines ?? []
            return record
        }
        if let record { try await persist(record) }
    }

    func tasks(runId: String) async throws -> [TaskRecord] { all }
}
