import Foundation

/// Where `io` keeps task results so a retried run does not repeat completed tasks.
/// The runner backs it with `<p>.runs`; tests use `InMemoryTaskStore`.
public protocol TaskStore: Sendable {
    /// The record of task `key` in run `runId`, if any.
    func task(runId: String, key: String) async throws -> TaskRecord?
    /// Saves (inserts or replaces) a task record.
    func save(_ task: TaskRecord) async throws
    /// All task records of a run, in the order they were first saved.
    func tasks(runId: String) async throws -> [TaskRecord]
}

/// The state of a task.
public enum TaskStatus: String, Sendable, Hashable, Codable {
    /// Started or waiting (a `wait` until `resumeAt`).
    case pending
    /// Done; `output` holds its result.
    case completed
    /// Failed after its last attempt.
    case failed
}

/// One task of a run, as recorded.
public struct TaskRecord: Sendable, Hashable, Codable {
    /// The run.
    public var runId: String
    /// The task key, unique within the run.
    public var key: String
    /// The status.
    public var status: TaskStatus
    /// The output (JSON of the task's result) when completed.
    public var output: JSON?
    /// The last error when failed.
    public var error: String?
    /// How many attempts were made.
    public var attempts: Int
    /// When it started.
    public var startedAt: Date
    /// When it finished.
    public var finishedAt: Date?
    /// For waits: when the task completes (for an event wait: when it times out).
    public var resumeAt: Date?
    /// For event waits (`io.waitForEvent`): the events that end it sooner.
    public var waitFor: EventWait?

    /// Creates a record.
    public init(
        runId: String, key: String, status: TaskStatus, output: JSON? = nil, error: String? = nil,
        attempts: Int = 1, startedAt: Date, finishedAt: Date? = nil, resumeAt: Date? = nil, waitFor: EventWait? = nil
    ) {
        self.runId = runId; self.key = key; self.status = status; self.output = output; self.error = error
        self.attempts = attempts; self.startedAt = startedAt; self.finishedAt = finishedAt; self.resumeAt = resumeAt
        self.waitFor = waitFor
    }
}

/// A task store in memory.
public actor InMemoryTaskStore: TaskStore {
    private var records: [String: [String: TaskRecord]] = [:]
    private var order: [String: [String]] = [:]

    /// An empty store.
    public init() {}

    /// A store holding `tasks` (e.g. restored from a run record).
    public init(tasks: [TaskRecord]) {
        for t in tasks {
            if records[t.runId]?[t.key] == nil { order[t.runId, default: []].append(t.key) }
            records[t.runId, default: [:]][t.key] = t
        }
    }

    /// The record of a task, if any.
    public func task(runId: String, key: String) -> TaskRecord? { records[runId]?[key] }

    /// Saves a task record.
    public func save(_ task: TaskRecord) {
        if records[task.runId]?[task.key] == nil { order[task.runId, default: []].append(task.key) }
        records[task.runId, default: [:]][task.key] = task
    }

    /// The tasks of a run in first-saved order.
    public func tasks(runId: String) -> [TaskRecord] {
        (order[runId] ?? []).compactMap { records[runId]?[$0] }
    }
}
