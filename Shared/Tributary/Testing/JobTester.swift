import Foundation
import Synchronization

/// Runs a job in-process, without Kafka, the way a runner would: its example events or a payload
/// of your own, tasks memoized across attempts and resumes, waits fast-forwarded on a virtual clock
/// (a suspended run is resumed at once, from the start, as a runner resumes it), events for
/// `io.waitForEvent` answered from the events you hand it and the ones the job sends, log lines
/// captured. For a job's unit test:
///
/// ```swift
/// let result = try await JobTester(onPrice).run(example: 0)
/// #expect(result.succeeded)
/// #expect(result.logs.map(\.message).contains("price created!"))
/// ```
public struct JobTester: Sendable {
    /// The job under test.
    public let job: any JobDefinition
    /// The attempts a failing run gets (the runner's job retry limit).
    public var retry: RetryOptions
    /// The virtual clock's start.
    public var start: Date

    /// A tester of `job`; `retry` gives its attempts (one by default), `start` the virtual time it begins at.
    public init(_ job: some JobDefinition, retry: RetryOptions = .none, start: Date = Date()) {
        self.job = job
        self.retry = retry
        self.start = start
    }

    /// Runs the job on its trigger's example number `index` (see `EventSpecification.examples`).
    public func run(example index: Int = 0, events: [EventRecord] = []) async throws -> JobTestResult {
        let examples = job.exampleEvents
        guard examples.indices.contains(index) else {
            throw JobTestError("job \(job.id) has \(examples.count) example event(s); there is no example \(index)")
        }
        var event = examples[index]
        event.timestamp = start
        return try await run(event: event, events: events)
    }

    /// Runs the job on an event of its trigger's first event name carrying `payload`.
    public func run(
        payload: some Encodable & Sendable, id: String = "evt_test", events: [EventRecord] = []
    ) async throws
        -> JobTestResult
    {
        let declaration = try job.declaration()
        guard let name = declaration.events.first else { throw JobTestError("job \(job.id) triggers on no event name") }
        let event = EventRecord(
            id: id, name: name, source: declaration.eventSource, timestamp: start, payload: try JSON(encoding: payload),
            sourceKey: declaration.source?.key)
        return try await run(event: event, events: events)
    }

    /// Runs the job on `event` (which must match its trigger). `events` answer its event waits: the
    /// first one a wait accepts ends it, as if it arrived while the run waited; a wait no event
    /// answers times out.
    public func run(event: EventRecord, events: [EventRecord] = []) async throws -> JobTestResult {
        guard job.matches(event) else {
            throw JobTestError("event \(event.name) from \(event.source) does not match job \(job.id)'s trigger")
        }
        let clock = VirtualClock(start)
        let store = InMemoryTaskStore()
        let sent = SentEvents()
        let context = RunContext(job: job, event: event, attempt: 1)
        var result = JobTestResult()
        var attempt = 1
        var resumes = 0
        while true {
            let io = IO(
                runId: context.runId, attempt: attempt, store: store, print: false,
                suspension: SuspensionPolicy(), events: sent,
                sleep: { clock.advance($0) }, now: { clock.now }, random: { 0.5 })
            var attemptContext = context
            attemptContext.attempt = attempt
            var failure: (any Error)?
            do { try await job.run(event, io: io, context: attemptContext) } catch { failure = error }
            result.logs += io.log.lines
            if let suspension = io.pendingSuspension {
                resumes += 1
                guard resumes <= 10_000 else { throw JobTestError("job \(job.id) suspended 10,000 times: a wait in a loop?") }
                try await resume(suspension, store: store, runId: context.runId, answers: events + sent.all, clock: clock)
                continue
            }
            if let failure {
                if !(failure is PayloadError), attempt < retry.limit {
                    clock.advance(retry.delay(afterAttempt: attempt, random: 0.5) ?? retry.minTimeout)
                    attempt += 1
                    continue
                }
                result.error = "\(failure)"
            }
            break
        }
        result.attempts = attempt
        result.resumes = resumes
        result.tasks = await store.tasks(runId: context.runId).sorted { $0.startedAt < $1.startedAt }
        result.sentEvents = sent.all
        result.elapsed = clock.now.timeIntervalSince(start)
        return result
    }

    /// Ends the wait a run suspended at: with the first answer it accepts, else at its end time.
    private func resume(
        _ suspension: RunSuspended, store: InMemoryTaskStore, runId: String, answers: [EventRecord], clock: VirtualClock
    )
        async throws
    {
        if let wait = suspension.events, var task = await store.task(runId: runId, key: suspension.task),
            let answer = answers.first(where: { event in wait.options.contains { $0.matches(event) } })
        {
            task.status = .completed
            task.output = try IO.matchedOutput(answer)
            task.finishedAt = clock.now
            await store.save(task)
            return
        }
        if suspension.until > clock.now { clock.advance(Duration(seconds: suspension.until.timeIntervalSince(clock.now), rounding: .up)) }
    }
}

/// What a ``JobTester`` run did.
public struct JobTestResult: Sendable {
    /// The last attempt's error, or nil when the run succeeded.
    public var error: String?
    /// Every attempt's and resume's log lines, in order.
    public var logs: [RunLogLine] = []
    /// The run's tasks (waits included), in the order they began.
    public var tasks: [TaskRecord] = []
    /// The events the job sent with `io.sendEvent`.
    public var sentEvents: [EventRecord] = []
    /// The attempt the run ended in.
    public var attempts = 1
    /// How often the run suspended at a wait and resumed.
    public var resumes = 0
    /// Virtual seconds that passed (waits and retry pauses).
    public var elapsed: TimeInterval = 0

    /// Whether the run succeeded.
    public var succeeded: Bool { error == nil }
}

/// A ``JobTester`` used wrongly: no such example, an event its job does not take.
public struct JobTestError: Error, Sendable, CustomStringConvertible {
    /// What was wrong.
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The tester's time: it moves only when the run sleeps or waits.
private final class VirtualClock: Sendable {
    private let time: Mutex<Date>
    init(_ start: Date) { time = Mutex(start) }
    var now: Date { time.withLock { $0 } }
    func advance(_ duration: Duration) { time.withLock { $0 = $0.addingTimeInterval(duration.seconds) } }
}

/// Captures what `io.sendEvent` publishes.
private final class SentEvents: EventPublisher {
    private let events = Mutex<[EventRecord]>([])
    var all: [EventRecord] { events.withLock { $0 } }
    func publish(_ event: EventRecord) async throws { events.withLock { $0.append(event) } }
}
