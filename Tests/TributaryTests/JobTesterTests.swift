import Foundation
import Synchronization
import Testing
import Tributary

/// `JobTester`: a job run in-process as a runner runs it, with waits fast-forwarded.
@Suite struct JobTesterTests {
    struct Order: Codable, Sendable {
        var orderId: String
    }
    struct Shipment: Codable, Sendable {
        var orderId: String
        var carrier: String
    }

    static let placed = EventSpecification<Order>(
        name: "order.placed", title: "Order placed", source: "shop",
        examples: [EventExample(id: "one", name: "One order", payload: ["orderId": "ord_1"])])
    static let shipped = EventSpecification<Shipment>(name: "order.shipped", title: "Order shipped", source: "shop")

    /// Reserves (a task), cools off for an hour, waits a week for its shipment, then says so.
    static let fulfil = Job(id: "fulfil", name: "Fulfil", version: "1.0.0", trigger: Trigger(event: placed)) { order, io, _ in
        let reservation: String = try await io.runTask("reserve") { "res_\(order.orderId)" }
        try await io.wait("cool-off", for: .seconds(3600))
        let result = try await io.waitForEvent(
            "shipped", shipped, filter: ["orderId": [.string(order.orderId)]], timeout: .seconds(7 * 86_400))
        if let shipment = result.payload {
            io.logger.info("shipped", metadata: ["carrier": "\(shipment.carrier)", "reservation": "\(reservation)"])
        } else {
            io.logger.warning("not shipped")
        }
    }

    @Test func anExampleRunsThroughItsWaitsAtOnceAndAMatchingEventEndsTheEventWait() async throws {
        let clock = ContinuousClock()
        let began = clock.now
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let shipment = Self.shipped.event(
            from: EventExample(id: "s", name: "s", payload: ["orderId": "ord_1", "carrier": "dhl"]), at: start)
        let other = Self.shipped.event(
            from: EventExample(id: "t", name: "t", payload: ["orderId": "ord_2", "carrier": "ups"]), at: start)
        let result = try await JobTester(Self.fulfil, start: start).run(example: 0, events: [other, shipment])
        let took = clock.now - began
        #expect(result.succeeded, "\(result.error ?? "")")
        #expect(result.logs.last?.message == "shipped")
        #expect(result.logs.last?.metadata["carrier"] == "dhl")
        #expect(result.logs.last?.metadata["reservation"] == "res_ord_1")
        #expect(result.tasks.map(\.key) == ["reserve", "cool-off", "shipped"])
        #expect(result.tasks.allSatisfy { $0.status == .completed })
        #expect(result.resumes == 2)
        #expect(result.elapsed == 3600)
        #expect(took < .seconds(1))
    }

    @Test func anEventWaitNoEventAnswersTimesOutOnTheVirtualClock() async throws {
        let result = try await JobTester(Self.fulfil).run(payload: Order(orderId: "ord_9"))
        #expect(result.succeeded)
        #expect(result.logs.last?.message == "not shipped")
        #expect(result.elapsed == 3600 + 7 * 86_400)
    }

    @Test func aFailingJobGetsItsAttemptsWithCompletedTasksMemoized() async throws {
        let calls = Mutex(0)
        let flaky = Job(id: "flaky", name: "Flaky", version: "1.0.0", trigger: Trigger(event: Self.placed)) { _, io, ctx in
            let _: Int = try await io.runTask("count") {
                calls.withLock {
                    $0 += 1; return $0
                }
            }
            if ctx.attempt < 3 { throw Failure() }
        }
        let once = try await JobTester(flaky).run()
        #expect(!once.succeeded && once.attempts == 1)
        calls.withLock { $0 = 0 }
        let retried = try await JobTester(flaky, retry: RetryOptions(limit: 3)).run()
        #expect(retried.succeeded && retried.attempts == 3)
        #expect(calls.withLock { $0 } == 1, "the completed task ran again on a retry")
        #expect(retried.elapsed > 0, "retry pauses pass on the virtual clock")
    }

    @Test func misuseIsAClearError() async throws {
        let noExample = await #expect(throws: JobTestError.self) { try await JobTester(Self.fulfil).run(example: 3) }
        #expect(noExample?.description.contains("no example 3") == true)
        let wrong = Self.shipped.event(from: EventExample(id: "s", name: "s", payload: ["orderId": "o", "carrier": "c"]))
        let mismatch = await #expect(throws: JobTestError.self) { try await JobTester(Self.fulfil).run(event: wrong) }
        #expect(mismatch?.description.contains("does not match") == true)
        let unparsable = try await JobTester(Self.fulfil, retry: RetryOptions(limit: 5)).run(payload: ["id": 1])
        #expect(unparsable.attempts == 1, "a payload that does not parse is not retried")
        #expect(unparsable.error?.contains("does not parse") == true)
    }

    @Test func eventsTheJobSendsAreCapturedAndCanAnswerItsOwnWait() async throws {
        let loop = Job(id: "loop", name: "Loop", version: "1.0.0", trigger: Trigger(event: Self.placed)) { order, io, _ in
            try await io.sendEvent("ship", Self.shipped, payload: Shipment(orderId: order.orderId, carrier: "self"))
            let result = try await io.waitForEvent("shipped", Self.shipped, timeout: .seconds(60))
            io.logger.info("got", metadata: ["carrier": "\(result.payload?.carrier ?? "none")"])
        }
        let result = try await JobTester(loop).run()
        #expect(result.sentEvents.map(\.name) == ["order.shipped"])
        #expect(result.logs.last?.metadata["carrier"] == "self")
    }

    struct Failure: Error {}
}
