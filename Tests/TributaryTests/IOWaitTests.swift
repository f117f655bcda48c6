import Foundation
import Synchronization
import Testing
import Tributary

/// `io.wait` suspending, `io.waitForEvent` and `io.sendEvent`, without a runner: a manual clock,
/// an in-memory task store and a publisher that keeps what it was given (a stand-in for Kafka).
@Suite struct IOWaitTests {
    final class Published: EventPublisher {
        let events = Mutex<[EventRecord]>([])
        func publish(_ event: EventRecord) async throws { events.withLock { $0.append(event) } }
    }

    struct Shipment: Codable, Sendable, Equatable {
        var orderId: String
        var carrier: String
    }

    static let shipped = EventSpecification<Shipment>(name: "order.shipped", title: "Shipped", source: "shop")

    static func io(_ clock: TestClock, store: any TaskStore, policy: SuspensionPolicy?, events: (any EventPublisher)? = nil) -> IO {
        IO(
            runId: "run_w", store: store, print: false, suspension: policy, events: events,
            sleep: { try clock.sleep($0) }, now: { clock.now })
    }

    @Test func aLongWaitSuspendsTheRunAndAfterItsTimeItCompletesWithoutSleeping() async throws {
        let clock = TestClock()
        let store = InMemoryTaskStore()
        let first = Self.io(clock, store: store, policy: SuspensionPolicy(minimumSuspension: .seconds(1)))
        let suspension = await #expect(throws: RunSuspended.self) { try await first.wait("cool-off", for: .seconds(30)) }
        #expect(suspension?.task == "cool-off")
        #expect(suspension?.until == clock.now.addingTimeInterval(30))
        #expect(first.pendingSuspension == suspension)
        let pending = try #require(await store.task(runId: "run_w", key: "cool-off"))
        #expect(pending.status == .pending && pending.resumeAt == clock.now.addingTimeInterval(30))
        #expect(clock.slept.isEmpty)

        clock.advance(30)
        let resumed = Self.io(clock, store: store, policy: SuspensionPolicy())
        try await resumed.wait("cool-off", for: .seconds(30))
        #expect(resumed.pendingSuspension == nil)
        #expect(clock.slept.isEmpty)
        #expect(await store.task(runId: "run_w", key: "cool-off")?.status == .completed)
    }

    @Test func aWaitShorterThanTheMinimumSleepsInPlace() async throws {
        let clock = TestClock()
        let io = Self.io(clock, store: InMemoryTaskStore(), policy: SuspensionPolicy(minimumSuspension: .seconds(5)))
        try await io.wait("short", for: .seconds(2))
        #expect(io.pendingSuspension == nil)
        #expect(clock.slept == [.seconds(2)])
    }

    @Test func waitForEventOutsideARunnerIsRefusedWithAClearError() async throws {
        let io = Self.io(TestClock(), store: InMemoryTaskStore(), policy: nil)
        let error = await #expect(throws: IOError.self) {
            _ = try await io.waitForEvent("shipped", Self.shipped, timeout: .seconds(10))
        }
        #expect(error == .eventWaitNeedsRunner("shipped"))
        #expect("\(error!)".contains("needs a runner"))
    }

    @Test func waitForEventSuspendsWithItsFilterAndReturnsTheMatchedEventOrTheTimeout() async throws {
        let clock = TestClock()
        let store = InMemoryTaskStore()
        let io = Self.io(clock, store: store, policy: SuspensionPolicy())
        let suspension = await #expect(throws: RunSuspended.self) {
            _ = try await io.waitForEvent(
                "shipped", Self.shipped, filter: ["orderId": ["o1"]], timeout: .seconds(60), lookback: .seconds(10))
        }
        let wait = try #require(suspension?.events)
        #expect(wait.since == clock.now.addingTimeInterval(-10))
        #expect(wait.deadline == clock.now.addingTimeInterval(60))
        let match = EventRecord(id: "e1", name: "order.shipped", source: "shop", payload: ["orderId": "o1", "carrier": "dhl"])
        let other = EventRecord(id: "e2", name: "order.shipped", source: "shop", payload: ["orderId": "o2", "carrier": "dhl"])
        #expect(wait.matches(match, arrivedAt: clock.now))
        #expect(!wait.matches(other, arrivedAt: clock.now))
        #expect(!wait.matches(match, arrivedAt: clock.now.addingTimeInterval(-11)))

        // The runner records the match on the task; the resumed attempt returns it.
        var record = try #require(await store.task(runId: "run_w", key: "shipped"))
        #expect(record.waitFor == wait)
        record.status = .completed
        record.output = try IO.matchedOutput(match)
        await store.save(record)
        let resumed = Self.io(clock, store: store, policy: SuspensionPolicy())
        let result = try await resumed.waitForEvent("shipped", Self.shipped, filter: ["orderId": ["o1"]], timeout: .seconds(60))
        #expect(result.payload == Shipment(orderId: "o1", carrier: "dhl"))

        // Another wait that nothing ends: past its deadline it returns the timeout.
        let lonely = Self.io(clock, store: store, policy: SuspensionPolicy())
        await #expect(throws: RunSuspended.self) {
            _ = try await lonely.waitForEvent("never", Self.shipped, timeout: .seconds(5))
        }
        clock.advance(5)
        let late = Self.io(clock, store: store, policy: SuspensionPolicy())
        let timedOut = try await late.waitForEvent("never", Self.shipped, timeout: .seconds(5))
        #expect(timedOut.payload == nil)
        #expect(await store.task(runId: "run_w", key: "never")?.output == IO.timedOutOutput)
    }

    @Test func sendEventIsMemoizedSoARetriedRunDoesNotSendTwiceAndItsIdIsStable() async throws {
        let clock = TestClock()
        let store = InMemoryTaskStore()
        let published = Published()
        let first = Self.io(clock, store: store, policy: SuspensionPolicy(), events: published)
        let sent = try await first.sendEvent("notify", name: "order.ready", source: "shop", payload: ["orderId": "o1"])
        #expect(sent.id == "run_w-notify" && sent.key == "shop/run_w-notify")
        let retried = Self.io(clock, store: store, policy: SuspensionPolicy(), events: published)
        let again = try await retried.sendEvent("notify", name: "order.ready", source: "shop", payload: ["orderId": "o1"])
        #expect(again == sent)
        let events = published.events.withLock { $0 }
        #expect(events.map(\.id) == ["run_w-notify"])
        #expect(events.first?.payload == ["orderId": "o1"])
        let refused = Self.io(clock, store: InMemoryTaskStore(), policy: nil)
        await #expect(throws: IOError.noEventPublisher("x")) {
            try await refused.sendEvent("x", name: "n", source: "s", payload: ["a": 1])
        }
    }
}
