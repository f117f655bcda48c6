import Foundation
import Logging
import Synchronization

/// What a job uses to act: a structured logger whose lines are recorded on the run, keyed tasks
/// memoized across attempts, and durable waits.
public final class IO: Sendable {
    /// The run id.
    public let runId: String
    /// The attempt, from 1.
    public let attempt: Int
    /// The run's logger: each line is recorded in `log` and printed.
    public let logger: Logger
    /// The recorded log lines of this attempt.
    public let log: RunLog
    /// The task store.
    public let store: any TaskStore
    private let sleep: @Sendable (Duration) async throws -> Void
    private let now: @Sendable () -> Date
    private let random: @Sendable () -> Double
    private let usedKeys = Mutex<Set<String>>([])

    /// Creates the `io` of one attempt of a run.
    /// - Parameters:
    ///   - print: whether log lines are also printed (to standard error).
    ///   - sleep, now, random: injectable for tests (defaults: `Task.sleep`, the clock, a random number in [0, 1)).
    public init(
        runId: String, attempt: Int = 1, store: any TaskStore, logLevel: Logger.Level = .info,
        print: Bool = true,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = Date.init,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.runId = runId
        self.attempt = attempt
        self.store = store
        self.sleep = sleep
        self.now = now
        self.random = random
        let log = RunLog()
        self.log = log
        var logger = Logger(label: "tributary.run") { label in
            RunLogHandler(log: log, forward: print ? StreamLogHandler.standardError(label: label) : nil, now: now)
        }
        logger.logLevel = logLevel
        logger[metadataKey: "run"] = "\(runId)"
        self.logger = logger
    }

    /// Runs `body` as the task `key`: if the key completed in an earlier attempt its recorded output
    /// is returned without running again; otherwise `body` runs with `retry` and its output is recorded.
    /// Using a key twice in one attempt throws `IOError.duplicateTaskKey`.
    public func runTask<Output: Codable & Sendable>(
        _ key: String, retry: RetryOptions = .none, _ body: @Sendable () async throws -> Output
    ) async throws -> Output {
        try claim(key)
        let started = now()
        if let done = try await store.task(runId: runId, key: key), done.status == .completed {
            logger.debug("task memoized", metadata: ["task": "\(key)"])
            return try (done.output ?? .null).decode(as: Output.self)
        }
        try await store.save(TaskRecord(runId: runId, key: key, status: .pending, startedAt: started))
        var attempt = 1
        while true {
            do {
                let output = try await body()
                try await store.save(
                    TaskRecord(
                        runId: runId, key: key, status: .completed,
                        output: try JSON(encoding: output), attempts: attempt,
                        startedAt: started, finishedAt: now()))
                return output
            } catch {
                if error is CancellationError { throw error }
                guard let delay = retry.delay(afterAttempt: attempt, random: random()) else {
                    try await store.save(
                        TaskRecord(
                            runId: runId, key: key, status: .failed, error: "\(error)",
                            attempts: attempt, startedAt: started, finishedAt: now()))
                    throw TaskFailedError(key: key, attempts: attempt, underlying: error)
                }
                logger.warning(
                    "task failed, retrying",
                    metadata: [
                        "task": "\(key)", "attempt": "\(attempt)", "delayMs": "\(Int(delay.milliseconds))",
                        "error": "\(error)",
                    ])
                try await sleep(delay)
                attempt += 1
            }
        }
    }

    /// A durable delay: the task `key` completes `duration` after it was first reached, across attempts
    /// (a retried run waits only for what is left).
    public func wait(_ key: String, for duration: Duration) async throws {
        try claim(key)
        let started = now()
        var record = try await store.task(runId: runId, key: key)
        if record?.status == .completed { return }
        if record == nil {
            let ms = duration.milliseconds
            record = TaskRecord(
                runId: runId, key: key, status: .pending, startedAt: started,
                resumeAt: started.addingTimeInterval(ms / 1000))
            try await store.save(record!)
        }
        let resumeAt = record!.resumeAt ?? started
        let remaining = resumeAt.timeIntervalSince(now())
        if remaining > 0 { try await sleep(Duration(seconds: remaining, rounding: .up)) }
        record!.status = .completed
        record!.output = .null
        record!.finishedAt = now()
        try await store.save(record!)
    }

    private func claim(_ key: String) throws {
        let fresh = usedKeys.withLock { $0.insert(key).inserted }
        guard fresh else { throw IOError.duplicateTaskKey(key) }
    }
}

/// Misuse of `io`.
public enum IOError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A task key was used twice in one attempt.
    case duplicateTaskKey(String)
    public var description: String {
        switch self {
        case .duplicateTaskKey(let k): return "task key '\(k)' was used twice in one run attempt"
        }
    }
}

/// A task that failed on its last attempt.
public struct TaskFailedError: Error, Sendable, CustomStringConvertible {
    /// The task key.
    public var key: String
    /// How many attempts were made.
    public var attempts: Int
    /// The last error.
    public var underlying: any Error
    public var description: String { "task '\(key)' failed after \(attempts) attempt(s): \(underlying)" }
}
