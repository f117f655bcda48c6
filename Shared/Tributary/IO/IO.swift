import Foundation
import Logging
import Synchronization
import Tracing

/// What a job uses to act: a structured logger whose lines are recorded on the run, keyed tasks
/// memoized across attempts, and durable waits.
public final class IO: Sendable {
    /// The run id.
    public let runId: String
    /// The attempt, from 1.
    public let attempt: Int
    /// The run's logger: each line is recorded in `log` and printed. Made on first use: most runs of
    /// a trivial job never log, and a logger with its handlers and metadata was 3% of such a run.
    public var logger: Logger {
        madeLogger.withLock { made in
            if let made { return made }
            let log = log
            let (print, now) = (printLines, now)
            var logger = Logger(label: "tributary.run") { label in
                RunLogHandler(log: log, forward: print ? StreamLogHandler.standardError(label: label) : nil, now: now)
            }
            logger.logLevel = logLevel
            logger[metadataKey: "run"] = "\(runId)"
            made = logger
            return logger
        }
    }
    /// The recorded log lines of this attempt.
    public let log: RunLog
    /// The task store.
    public let store: any TaskStore
    /// How long waits suspend the run (nil: every wait sleeps in place; `waitForEvent` is refused).
    public let suspension: SuspensionPolicy?
    /// Where `sendEvent` publishes (nil: `sendEvent` is refused).
    public let events: (any EventPublisher)?
    private let suspended = Mutex<RunSuspended?>(nil)
    private let sleep: @Sendable (Duration) async throws -> Void
    private let now: @Sendable () -> Date
    private let random: @Sendable () -> Double
    private let usedKeys = Mutex<Set<String>>([])
    private let madeLogger = Mutex<Logger?>(nil)
    private let logLevel: Logger.Level
    private let printLines: Bool

    /// Creates the `io` of one attempt of a run.
    /// - Parameters:
    ///   - print: whether log lines are also printed (to standard error).
    ///   - logLimit: the most bytes of log messages and metadata the run's record keeps (see ``RunLog``).
    ///   - suspension: how waits suspend the run (the runner's policy; nil: waits sleep in place).
    ///   - events: where `sendEvent` publishes.
    ///   - sleep, now, random: injectable for tests (defaults: `Task.sleep`, the clock, a random number in [0, 1)).
    public init(
        runId: String, attempt: Int = 1, store: any TaskStore, logLevel: Logger.Level = .info,
        print: Bool = true, logLimit: Int = .max, suspension: SuspensionPolicy? = nil, events: (any EventPublisher)? = nil,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = Date.init,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.runId = runId
        self.attempt = attempt
        self.store = store
        self.suspension = suspension
        self.events = events
        self.sleep = sleep
        self.now = now
        self.random = random
        self.log = RunLog(limit: logLimit)
        self.logLevel = logLevel
        self.printLines = print
    }

    /// Runs `body` as the task `key`: if the key completed in an earlier attempt its recorded output
    /// is returned without running again; otherwise `body` runs with `retry` and its output is recorded.
    /// Using a key twice in one attempt throws `IOError.duplicateTaskKey`.
    public func runTask<Output: Codable & Sendable>(
        _ key: String, retry: RetryOptions = .none, _ body: @Sendable () async throws -> Output
    ) async throws -> Output {
        try claim(key)
        return try await traced("task \(key)", key: key) { try await runClaimedTask(key, retry: retry, body) }
    }

    private func runClaimedTask<Output: Codable & Sendable>(
        _ key: String, retry: RetryOptions, _ body: @Sendable () async throws -> Output
    ) async throws -> Output {
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
    /// (a retried run waits only for what is left). In a runner, a wait of at least the runner's
    /// minimum suspension suspends the run (see ``RunSuspended``): it holds no lane, permit or
    /// partition while it waits, and resumes from the start with completed tasks memoized.
    public func wait(_ key: String, for duration: Duration) async throws {
        try claim(key)
        try await traced("wait \(key)", key: key) { try await waitClaimed(key, for: duration) }
    }

    private func waitClaimed(_ key: String, for duration: Duration) async throws {
        let started = now()
        var record = try await store.task(runId: runId, key: key)
        if record?.status == .completed { return }
        if record == nil {
            record = TaskRecord(
                runId: runId, key: key, status: .pending, startedAt: started,
                resumeAt: started.addingTimeInterval(duration.milliseconds / 1000))
            // A wait that suspends the run is made durable by the run's waiting record.
            if let suspension, duration >= suspension.minimumSuspension {
                try await store.keep(record!)
            } else {
                try await store.save(record!)
            }
        }
        let resumeAt = record!.resumeAt ?? started
        let remaining = resumeAt.timeIntervalSince(now())
        if remaining > 0 {
            // The wait's whole length decides (what is left is always a little less by now).
            let length = resumeAt.timeIntervalSince(record!.startedAt)
            if let suspension, length >= suspension.minimumSuspension.seconds {
                throw suspend(RunSuspended(task: key, until: resumeAt))
            }
            try await sleep(Duration(seconds: remaining, rounding: .up))
        }
        record!.status = .completed
        record!.output = .null
        record!.finishedAt = now()
        // Its completion need not be durable at once: a run that dies before its next record finds
        // the wait's time passed again.
        try await store.keep(record!)
    }

    /// Waits for the first event of `event`'s specification whose payload matches `filter` (and
    /// context `contextFilter`), for at most `timeout`. Events that arrived up to `lookback` before
    /// the wait began count too, so a reply that came quickly is not missed. The event may land on
    /// any partition and any runner; the run is suspended while it waits. Memoized like a task.
    public func waitForEvent<Payload: Decodable & Sendable>(
        _ key: String, _ event: EventSpecification<Payload>, filter: EventFilter = .all,
        contextFilter: EventFilter = .all, timeout: Duration, lookback: Duration = .seconds(300)
    ) async throws -> EventWaitResult<Payload> {
        let option = event.waitOption(filter: filter, contextFilter: contextFilter)
        guard let found = try await waitForEvent(key, anyOf: [option], timeout: timeout, lookback: lookback) else {
            return .timedOut
        }
        do { return .event(try event.parse(found.payload), found) } catch {
            throw PayloadError(eventName: found.name, message: "\(error)")
        }
    }

    /// Waits for the first event matching any of `options` (see
    /// ``waitForEvent(_:_:filter:contextFilter:timeout:lookback:)``); nil after `timeout`.
    public func waitForEvent(
        _ key: String, anyOf options: [EventWait.Option], timeout: Duration, lookback: Duration = .seconds(300)
    ) async throws -> EventRecord? {
        try claim(key)
        return try await traced("wait \(key)", key: key) {
            try await waitForEventClaimed(key, anyOf: options, timeout: timeout, lookback: lookback)
        }
    }

    private func waitForEventClaimed(
        _ key: String, anyOf options: [EventWait.Option], timeout: Duration, lookback: Duration
    ) async throws -> EventRecord? {
        let started = now()
        var record = try await store.task(runId: runId, key: key)
        if let record, record.status == .completed { return try Self.eventWaitOutcome(record.output) }
        guard suspension != nil else { throw IOError.eventWaitNeedsRunner(key) }
        if record == nil {
            let wait = EventWait(
                options: options, since: started.addingTimeInterval(-lookback.milliseconds / 1000),
                deadline: started.addingTimeInterval(timeout.milliseconds / 1000))
            record = TaskRecord(
                runId: runId, key: key, status: .pending, startedAt: started, resumeAt: wait.deadline, waitFor: wait)
            try await store.keep(record!)
        }
        let deadline = record!.resumeAt ?? started
        if now() >= deadline {
            record!.status = .completed
            record!.output = Self.timedOutOutput
            record!.finishedAt = now()
            try await store.save(record!)
            return nil
        }
        throw suspend(RunSuspended(task: key, until: deadline, events: record!.waitFor))
    }

    /// The output an event wait that timed out records.
    public static let timedOutOutput = JSON.object(["timedOut": .bool(true)])

    /// The output an event wait ended by `event` records.
    public static func matchedOutput(_ event: EventRecord) throws -> JSON {
        .object(["event": try JSON(encoding: event)])
    }

    /// The event an event wait's recorded output holds, or nil when it timed out.
    static func eventWaitOutcome(_ output: JSON?) throws -> EventRecord? {
        guard let event = output?["event"], !event.isNull else { return nil }
        return try event.decode(as: EventRecord.self)
    }

    /// Publishes a custom event to `<p>.events` as the task `key`: a retried run does not send it
    /// again, and its id (by default derived from the run and the key) is the same if a crash
    /// came between the send and its record, so the event runs its jobs once. Jobs triggered by
    /// `Trigger(event:)` on a specification of `source` and `name` run on it.
    @discardableResult
    public func sendEvent(
        _ key: String, name: String, source: String, payload: some Encodable & Sendable, id: String? = nil,
        context: JSON = .object([:])
    ) async throws -> SentEvent {
        guard let events else { throw IOError.noEventPublisher(key) }
        let json = try JSON(encoding: payload)
        let eventId = id ?? "\(runId)-\(key)"
        let at = now()
        return try await runTask(key, retry: .standardBackoff) {
            try await events.publish(
                EventRecord(id: eventId, name: name, source: source, timestamp: at, payload: json, context: context))
            return SentEvent(id: eventId, name: name, source: source)
        }
    }

    /// Publishes an event of a custom event specification (its first name and source); see
    /// ``sendEvent(_:name:source:payload:id:context:)``.
    @discardableResult
    public func sendEvent<Payload: Decodable & Sendable>(
        _ key: String, _ event: EventSpecification<Payload>, payload: some Encodable & Sendable, id: String? = nil
    ) async throws -> SentEvent {
        try await sendEvent(key, name: event.name, source: event.source, payload: payload, id: id)
    }

    /// The suspension a wait of this attempt asked for (the runner suspends the run even if the
    /// job's body caught the ``RunSuspended`` error).
    public var pendingSuspension: RunSuspended? { suspended.withLock { $0 } }

    private func suspend(_ suspension: RunSuspended) -> RunSuspended {
        suspended.withLock { $0 = $0 ?? suspension }
        return suspension
    }

    /// Runs `body` in a span named `name` when a tracer is installed (a runner exporting traces),
    /// else just runs it. A wait that suspends the run ends its span marked suspended, not failed.
    private func traced<T>(_ name: String, key: String, _ body: () async throws -> T) async throws -> T {
        guard !(InstrumentationSystem.tracer is NoOpTracer) else { return try await body() }
        let span = startSpan(name)
        span.attributes["tributary.task.key"] = key
        defer { span.end() }
        do {
            return try await ServiceContext.withValue(span.context) { try await body() }
        } catch let suspended as RunSuspended {
            span.attributes["tributary.wait.until"] = RFC3339.string(from: suspended.until)
            throw suspended
        } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
            throw error
        }
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
    /// `waitForEvent` outside a runner (no suspension policy).
    case eventWaitNeedsRunner(String)
    /// `sendEvent` without an event publisher.
    case noEventPublisher(String)
    public var description: String {
        switch self {
        case .duplicateTaskKey(let k): return "task key '\(k)' was used twice in one run attempt"
        case .eventWaitNeedsRunner(let k): return "waitForEvent '\(k)' needs a runner (io has no suspension policy)"
        case .noEventPublisher(let k): return "sendEvent '\(k)' needs a runner (io has no event publisher)"
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
