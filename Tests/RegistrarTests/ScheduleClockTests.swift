import Foundation
import Synchronization
import Testing
import Tributary
import TributaryKafka
import TributaryRegistrar

/// A clock the test moves by hand: `sleep(until:)` returns when the test has advanced past the time.
final class ManualScheduleClock: ScheduleClock {
    private struct State {
        var now: Date
        var sleepers: [Int: (until: Date, continuation: CheckedContinuation<Void, Never>)] = [:]
        var cancelled: Set<Int> = []
        var nextId = 0
    }

    private let state: Mutex<State>

    init(_ now: Date) { state = Mutex(State(now: now)) }

    func now() -> Date { state.withLock { $0.now } }

    /// How many sleep until a time after now.
    var sleepers: Int { state.withLock { $0.sleepers.count } }

    func sleep(until date: Date) async throws {
        let id = state.withLock { state -> Int in
            defer { state.nextId += 1 }
            return state.nextId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.now >= date || state.cancelled.contains(id) { return true }
                    state.sleepers[id] = (date, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { state in
                state.cancelled.insert(id)
                return state.sleepers.removeValue(forKey: id)
            }
            sleeper?.continuation.resume()
        }
        try Task.checkCancellation()
    }

    /// Moves the clock to `date` and wakes whoever sleeps until then.
    func advance(to date: Date) {
        let due = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.now = date
            let woken = state.sleepers.filter { $0.value.until <= date }
            for id in woken.keys { state.sleepers[id] = nil }
            return woken.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }
}

/// The scheduler on an injected clock: a quarter of an hour of a `*/5` cron schedule in seconds.
@Suite(.serialized, .tags(.processes), .notInFastRun) struct ScheduleClockTests {
    static func at(_ text: String) -> Date { RFC3339.date(from: text)! }

    static func ticks(_ harness: RegistrarHarness) async throws -> [ScheduledTick] {
        try await harness.records(harness.topics.events.name).compactMap { message in
            guard let event = try? CloudEvent.decode(WireRecord(message)), event.name == ScheduledTick.specification.name else {
                return nil
            }
            return try? ScheduledTick.specification.parse(event.payload)
        }.sorted { $0.scheduledAt < $1.scheduledAt }
    }

    static func times(_ ticks: [ScheduledTick]) -> [String] { ticks.map { RFC3339.string(from: $0.scheduledAt) } }

    @Test func aFakeClockDrivesTheTicksAndTheToolShowsTheNextOne() async throws {
        try await RegistrarHarness.with { harness in
            let clock = ManualScheduleClock(Self.at("2030-01-07T08:57:00Z"))
            var declaration = try Job(id: "digest", name: "Digest", version: "1.0.0", trigger: .cron("*/5 * * * *")) { _, _, _ in }
                .declaration()
            declaration.firstDeclaredAt = Self.at("2030-01-07T08:56:00Z")
            try await harness.send(KafkaProducerMessage(topic: harness.topics.triggers.name, record: try declaration.record()))
            var configuration = harness.configuration()
            configuration.scheduleClock = clock
            let registrar = try await harness.start(configuration, catalog: try harness.catalog())
            try await eventually("the scheduler sleeps until the first tick", timeout: .seconds(60)) {
                registrar.isLeader && clock.sleepers == 1
            }
            let none = try await Self.ticks(harness)
            #expect(none.isEmpty)

            clock.advance(to: Self.at("2030-01-07T09:00:00Z"))
            try await eventually("the 09:00 tick is emitted") { try await Self.ticks(harness).count == 1 }
            try await eventually("the scheduler sleeps again") { clock.sleepers == 1 }
            // A pass that runs late still emits every tick since, on time, each once.
            clock.advance(to: Self.at("2030-01-07T09:12:00Z"))
            try await eventually("the 09:05 and 09:10 ticks are emitted") { try await Self.ticks(harness).count == 3 }
            try await eventually("the scheduler sleeps until 09:15") { clock.sleepers == 1 }
            let ticks = try await Self.ticks(harness)
            #expect(Self.times(ticks) == ["2030-01-07T09:00:00Z", "2030-01-07T09:05:00Z", "2030-01-07T09:10:00Z"])
            let catchUps = ticks.filter(\.isCatchUp)
            #expect(catchUps.isEmpty)
            let previous = ticks.map { $0.previousScheduledAt.map(RFC3339.string(from:)) }
            #expect(previous == [nil, "2030-01-07T09:00:00Z", "2030-01-07T09:05:00Z"])
            let records = try await harness.records(harness.topics.schedules.name).compactMap {
                try? ScheduleRecord(record: WireRecord($0))
            }
            #expect(records.last?.lastScheduledAt == Self.at("2030-01-07T09:10:00Z"))
            #expect(records.last?.nextAt == Self.at("2030-01-07T09:15:00Z"))

            var environment = ProcessInfo.processInfo.environment
            environment["KAFKA_BROKERS"] = harness.cluster.bootstrapServers
            environment["TRIBUTARY_TOPIC_PREFIX"] = RegistrarHarness.prefix
            let tool = try ChildProcess(productURL("tributary"), ["jobs"], environment: environment)
            try await eventually("tributary jobs exits", timeout: .seconds(60)) { !tool.isRunning }
            try? await eventually("its output is read", timeout: .seconds(2)) { tool.lines.count >= 2 }
            let row = tool.lines.first { $0.hasPrefix("digest") } ?? ""
            #expect(tool.lines.first?.contains("NEXT TICK") == true, "\(tool.lines)")
            #expect(row.contains("cron */5 * * * * (GMT)") && row.contains("2030-01-07T09:15:00Z"), "\(tool.lines)")
            await registrar.stop()
        }
    }
}
