import Foundation
import Testing
import Tributary

/// A manual clock: `sleep` records the delay and advances time instead of waiting.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Date
    private var sleeps: [Duration] = []
    /// When set, the next sleep throws (to simulate a run interrupted during a wait).
    var interruptNextSleep = false

    init(_ start: Date = Date(timeIntervalSince1970: 1_000_000)) { time = start }
    var now: Date { lock.withLock { time } }
    var slept: [Duration] { lock.withLock { sleeps } }
    func advance(_ seconds: Double) { lock.withLock { time = time.addingTimeInterval(seconds) } }
    func sleep(_ d: Duration) throws {
        try lock.withLock {
            sleeps.append(d)
            if interruptNextSleep { interruptNextSleep = false; throw CancellationError() }
            time = time.addingTimeInterval(d.seconds)
        }
    }
    func io(runId: String = "run_test", attempt: Int = 1, store: any TaskStore, random: Double = 0) -> IO {
        IO(
            runId: runId, attempt: attempt, store: store, print: false,
            sleep: { try self.sleep($0) }, now: { self.now }, random: { random })
    }
}

/// A thread-safe counter for task bodies.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    @discardableResult func next() -> Int {
        lock.withLock {
            n += 1; return n
        }
    }
    var value: Int { lock.withLock { n } }
}

struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }

@Test func completedTasksAreNotRepeatedOnALaterAttempt() async throws {
    let store = InMemoryTaskStore()
    let clock = TestClock()
    let charges = Counter(), emails = Counter()

    // Attempt 1: the charge succeeds, the e-mail fails.
    let io1 = clock.io(store: store)
    let charge1: String = try await io1.runTask("charge") { "ch_\(charges.next())" }
    await #expect(throws: TaskFailedError.self) {
        try await io1.runTask("email") { () async throws -> Bool in
            emails.next(); throw Boom()
        }
    }
    #expect(charge1 == "ch_1")

    // Attempt 2: the charge returns its recorded output without running; the e-mail runs again.
    let io2 = clock.io(attempt: 2, store: store)
    let charge2: String = try await io2.runTask("charge") { "ch_\(charges.next())" }
    let sent: Bool = try await io2.runTask("email") {
        emails.next(); return true
    }
    #expect(charge2 == "ch_1")
    #expect(charges.value == 1)
    #expect(emails.value == 2 && sent)

    let tasks = await store.tasks(runId: "run_test")
    #expect(tasks.map(\.key) == ["charge", "email"])
    #expect(tasks.map(\.status) == [.completed, .completed])
    #expect(tasks[0].output == "ch_1")
}

@Test func aKeyUsedTwiceInOneAttemptIsAnError() async throws {
    let io = TestClock().io(store: InMemoryTaskStore())
    let runs = Counter()
    _ = try await io.runTask("k") { runs.next() }
    await #expect(throws: IOError.duplicateTaskKey("k")) { _ = try await io.runTask("k") { runs.next() } }
    await #expect(throws: IOError.duplicateTaskKey("k")) { try await io.wait("k", for: .seconds(1)) }
    #expect(runs.value == 1)
}

@Test func tasksRetryWithBackoffUntilTheySucceed() async throws {
    let clock = TestClock()
    let store = InMemoryTaskStore()
    let io = clock.io(store: store, random: 0)
    let calls = Counter()
    let v: Int = try await io.runTask("flaky", retry: .standard) {
        let n = calls.next()
        if n < 3 { throw Boom() }
        return n
    }
    #expect(v == 3)
    #expect(clock.slept == [.milliseconds(1000), .milliseconds(1800)])
    let rec = try #require(await store.task(runId: "run_test", key: "flaky"))
    #expect(rec.status == .completed && rec.attempts == 3)
    #expect(io.log.lines.filter { $0.message == "task failed, retrying" }.count == 2)
}

@Test func aTaskThatKeepsFailingIsRecordedAsFailed() async throws {
    let clock = TestClock()
    let store = InMemoryTaskStore()
    let io = clock.io(store: store, random: 0.5)
    let calls = Counter()
    do {
        _ = try await io.runTask("bad", retry: RetryOptions(limit: 3, factor: 2, minTimeout: .seconds(1), maxTimeout: .seconds(10))) {
            () async throws -> Int in
            calls.next(); throw Boom()
        }
        Issue.record("expected a failure")
    } catch let e as TaskFailedError {
        #expect(e.key == "bad" && e.attempts == 3)
    }
    #expect(calls.value == 3)
    #expect(clock.slept == [.milliseconds(1500), .milliseconds(3000)])
    let rec = try #require(await store.task(runId: "run_test", key: "bad"))
    #expect(rec.status == .failed && rec.error == "boom" && rec.attempts == 3)
}

struct DelayCase: Sendable {
    let options: RetryOptions
    let attempt: Int
    let random: Double
    let ms: Int64?
}

@Test(arguments: [
    DelayCase(options: .standard, attempt: 1, random: 0, ms: 1000),
    DelayCase(options: .standard, attempt: 2, random: 0, ms: 1800),
    DelayCase(options: .standard, attempt: 3, random: 0, ms: 3240),
    DelayCase(options: .standard, attempt: 4, random: 0, ms: 5832),
    DelayCase(options: .standard, attempt: 5, random: 0, ms: nil),
    DelayCase(options: .standard, attempt: 1, random: 0.5, ms: 1500),
    DelayCase(options: .standard, attempt: 1, random: 0.999, ms: 1999),
    DelayCase(options: RetryOptions(limit: 20), attempt: 12, random: 0, ms: 60000),
    DelayCase(options: RetryOptions(randomize: false), attempt: 2, random: 0.9, ms: 1800),
    DelayCase(options: .none, attempt: 1, random: 0, ms: nil),
    DelayCase(options: .standardBackoff, attempt: 1, random: 0, ms: 500),
    DelayCase(options: .exponentialBackoff, attempt: 3, random: 0, ms: 4000),
])
func retryDelays(_ c: DelayCase) {
    #expect(c.options.delay(afterAttempt: c.attempt, random: c.random) == c.ms.map { .milliseconds($0) })
}

@Test func retryDefaultsAreTriggerDevs() throws {
    let d = RetryOptions()
    #expect(d.limit == 5 && d.factor == 1.8 && d.minTimeout == .seconds(1) && d.maxTimeout == .seconds(60) && d.randomize)
    #expect(try JSON(encoding: d) == ["limit": 5, "factor": 1.8, "minTimeoutInMs": 1000, "maxTimeoutInMs": 60000, "randomize": true])
    #expect(try JSON(encoding: d).decode(as: RetryOptions.self) == d)
}

@Test func waitIsDurableAcrossAttempts() async throws {
    let clock = TestClock()
    let store = InMemoryTaskStore()

    // Attempt 1 is interrupted while waiting.
    clock.interruptNextSleep = true
    await #expect(throws: CancellationError.self) { try await clock.io(store: store).wait("cool-off", for: .seconds(10)) }
    #expect(clock.slept == [.seconds(10)])

    // Attempt 2 starts 4 s later and waits only for what is left.
    clock.advance(4)
    try await clock.io(attempt: 2, store: store).wait("cool-off", for: .seconds(10))
    #expect(clock.slept == [.seconds(10), .seconds(6)])

    // Attempt 3 finds it completed and does not wait at all.
    try await clock.io(attempt: 3, store: store).wait("cool-off", for: .seconds(10))
    #expect(clock.slept.count == 2)
    #expect(await store.task(runId: "run_test", key: "cool-off")?.status == .completed)
}

@Test func loggerRecordsStructuredLines() {
    let clock = TestClock()
    let io = clock.io(store: InMemoryTaskStore())
    io.logger.info("price created!", metadata: ["currency": "usd"])
    io.logger.debug("not at info level")
    io.logger.error("bad", metadata: ["n": "1"])
    #expect(
        io.log.lines == [
            RunLogLine(time: clock.now, level: "info", message: "price created!", metadata: ["currency": "usd"]),
            RunLogLine(time: clock.now, level: "error", message: "bad", metadata: ["n": "1"]),
        ])
}

struct FakeIntegration: Integration {
    struct Configuration: Sendable { var apiKey: String }
    let id = "fake"
    let configuration = Configuration(apiKey: "k")
}

@Test func integrationTasksAreKeyedByIntegration() async throws {
    let store = InMemoryTaskStore()
    let io = TestClock().io(store: store)
    let r: String = try await FakeIntegration().task(io, "createPrice") { "price_1" }
    #expect(r == "price_1")
    #expect(await store.task(runId: "run_test", key: "fake.createPrice")?.output == "price_1")
}
