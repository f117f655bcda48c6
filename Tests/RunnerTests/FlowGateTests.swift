import Foundation
import Testing
import Tributary

@testable import TributaryRunner

/// ``FlowGate`` without a broker: each limit's decisions per key.
@Suite struct FlowGateTests {
    static let t0 = Date(timeIntervalSince1970: 1_000_000)

    static func started(_ actions: [FlowGate<String>.Action]) -> [String] {
        actions.compactMap { if case .start(let item) = $0 { return item } else { return nil } }
    }

    static func skipped(_ actions: [FlowGate<String>.Action]) -> [String] {
        actions.compactMap { if case .skip(let item, _) = $0 { return item } else { return nil } }
    }

    static func held(_ actions: [FlowGate<String>.Action]) -> [(String, Date?)] {
        actions.compactMap { if case .hold(let item, let until, _) = $0 { return (item, until) } else { return nil } }
    }

    @Test func concurrencyQueuesOverTheLimitPerKeyAndStartsTheNextInOrderWhenOneEnds() {
        var gate = FlowGate<String>(flow: FlowControl(key: .payload("k"), concurrency: 1))
        let a1 = Self.started(gate.received("a1", key: "a", idempotencyKey: nil, now: Self.t0))
        let a2 = Self.held(gate.received("a2", key: "a", idempotencyKey: nil, now: Self.t0))
        let a3 = Self.held(gate.received("a3", key: "a", idempotencyKey: nil, now: Self.t0))
        let b1 = Self.started(gate.received("b1", key: "b", idempotencyKey: nil, now: Self.t0))
        #expect(a1 == ["a1"] && b1 == ["b1"], "other keys are not held back")
        #expect(a2.map(\.0) == ["a2"] && a2.first?.1 == nil && a3.map(\.0) == ["a3"])
        #expect(gate.runningCount("a") == 1 && gate.heldCount == 2)
        let next = Self.started(gate.finished(key: "a", now: Self.t0))
        let last = Self.started(gate.finished(key: "a", now: Self.t0))
        let none = gate.finished(key: "a", now: Self.t0)
        #expect(next == ["a2"] && last == ["a3"] && none.isEmpty)
        #expect(gate.runningCount("a") == 0)
    }

    @Test func rateLimitSkipsOverTheLimitPerPeriodAndThrottleDelaysToTheNextSlot() {
        var limited = FlowGate<String>(flow: FlowControl(rateLimit: .init(2, per: .seconds(10))))
        var outcomes: [String] = []
        // A sliding window: at 12 s only the start at 11 s is within the last 10 s; at 12.5 s two are.
        for (i, offset) in [0.0, 1, 2, 11, 12, 12.5].enumerated() {
            let actions = limited.received("e\(i)", key: "", idempotencyKey: nil, now: Self.t0.addingTimeInterval(offset))
            outcomes.append(Self.started(actions).isEmpty ? "skip" : "run")
        }
        #expect(outcomes == ["run", "run", "skip", "run", "run", "skip"])

        var throttled = FlowGate<String>(flow: FlowControl(throttle: .init(2, per: .seconds(10))))
        let first = Self.started(throttled.received("t0", key: "", idempotencyKey: nil, now: Self.t0))
        let second = Self.started(throttled.received("t1", key: "", idempotencyKey: nil, now: Self.t0))
        throttled.started(key: "", at: Self.t0)
        throttled.started(key: "", at: Self.t0)
        let third = Self.held(throttled.received("t2", key: "", idempotencyKey: nil, now: Self.t0.addingTimeInterval(1)))
        let fourth = Self.held(throttled.received("t3", key: "", idempotencyKey: nil, now: Self.t0.addingTimeInterval(1)))
        let fifth = Self.held(throttled.received("t4", key: "", idempotencyKey: nil, now: Self.t0.addingTimeInterval(1)))
        #expect(first == ["t0"] && second == ["t1"])
        #expect(third.first?.1 == Self.t0.addingTimeInterval(10) && fourth.first?.1 == Self.t0.addingTimeInterval(10))
        #expect(fifth.first?.1 == Self.t0.addingTimeInterval(20), "the fifth waits for the next period")
        #expect(throttled.next == Self.t0.addingTimeInterval(10))
        let early = throttled.due(now: Self.t0.addingTimeInterval(9))
        let due = Self.started(throttled.due(now: Self.t0.addingTimeInterval(10)))
        throttled.started(key: "", at: Self.t0.addingTimeInterval(10))
        throttled.started(key: "", at: Self.t0.addingTimeInterval(10))
        let later = Self.started(throttled.due(now: Self.t0.addingTimeInterval(20)))
        #expect(early.isEmpty && due == ["t2", "t3"] && later == ["t4"])
    }

    @Test func throttledEventsReleasedLateStartNoMoreThanTheLimitPerPeriodFromTheirRelease() {
        // Slots at 2 s and 4 s, but the timer fires only at 7 s (a busy machine): two start then, and
        // the other two 2 s later, not all four at once.
        var gate = FlowGate<String>(flow: FlowControl(throttle: .init(2, per: .seconds(2))))
        for name in ["a", "b"] { _ = gate.received(name, key: "", idempotencyKey: nil, now: Self.t0) }
        gate.started(key: "", at: Self.t0)
        gate.started(key: "", at: Self.t0)
        let held = ["c", "d", "e", "f"].flatMap { Self.held(gate.received($0, key: "", idempotencyKey: nil, now: Self.t0)) }
        #expect(held.map(\.1) == [2, 2, 4, 4].map { Self.t0.addingTimeInterval($0) })
        let late = Self.started(gate.due(now: Self.t0.addingTimeInterval(7)))
        #expect(late == ["c", "d"])
        #expect(gate.next == Self.t0.addingTimeInterval(9))
        gate.started(key: "", at: Self.t0.addingTimeInterval(7))
        gate.started(key: "", at: Self.t0.addingTimeInterval(7))
        #expect(Self.started(gate.due(now: Self.t0.addingTimeInterval(8.9))).isEmpty)
        #expect(Self.started(gate.due(now: Self.t0.addingTimeInterval(9))) == ["e", "f"])
    }

    @Test func aThrottledEventWaitsForRunsReleasedButNotStartedYetAndNotForOnesThatNeverStart() {
        var gate = FlowGate<String>(flow: FlowControl(throttle: .init(2, per: .seconds(2))))
        for name in ["a", "b"] { _ = gate.received(name, key: "", idempotencyKey: nil, now: Self.t0) }
        _ = gate.received("c", key: "", idempotencyKey: nil, now: Self.t0)
        // a and b were decided at 0 s and still wait for a permit at 2 s: they start at 2 s at the
        // earliest, so c (slot 2 s) waits for 4 s.
        #expect(Self.started(gate.due(now: Self.t0.addingTimeInterval(2))).isEmpty)
        #expect(gate.next == Self.t0.addingTimeInterval(4))
        // a starts at 2.5 s; b never does (a duplicate found finished): only a counts, and c runs at 4 s.
        gate.started(key: "", at: Self.t0.addingTimeInterval(2.5))
        gate.started(key: "", at: nil)
        #expect(Self.started(gate.due(now: Self.t0.addingTimeInterval(4))) == ["c"])
        #expect(gate.heldCount == 0)

        // Two decided at 0 s and not started by 3 s still count when an event comes then.
        var busy = FlowGate<String>(flow: FlowControl(throttle: .init(2, per: .seconds(2))))
        for name in ["a", "b"] { _ = busy.received(name, key: "", idempotencyKey: nil, now: Self.t0) }
        let late = Self.held(busy.received("c", key: "", idempotencyKey: nil, now: Self.t0.addingTimeInterval(3)))
        #expect(late.first?.1 == Self.t0.addingTimeInterval(5))
    }

    @Test func aThrottledEventWaitsLongerWhenTheRunsBeforeItReallyStartedLate() {
        var gate = FlowGate<String>(flow: FlowControl(throttle: .init(2, per: .seconds(10))))
        _ = gate.received("a", key: "", idempotencyKey: nil, now: Self.t0)
        _ = gate.received("b", key: "", idempotencyKey: nil, now: Self.t0)
        let held = Self.held(gate.received("c", key: "", idempotencyKey: nil, now: Self.t0))
        #expect(held.first?.1 == Self.t0.addingTimeInterval(10))
        // a and b were decided at once but really started 5 and 6 s later.
        gate.started(key: "", at: Self.t0.addingTimeInterval(5))
        gate.started(key: "", at: Self.t0.addingTimeInterval(6))
        let atTen = Self.started(gate.due(now: Self.t0.addingTimeInterval(10)))
        #expect(atTen.isEmpty, "c would be the third start within 10 s")
        #expect(gate.next == Self.t0.addingTimeInterval(15))
        let atFifteen = Self.started(gate.due(now: Self.t0.addingTimeInterval(15)))
        #expect(atFifteen == ["c"])
    }

    @Test func debounceRunsTheLastEventOnceTheKeyIsQuietAndMaxDelayBoundsIt() {
        var gate = FlowGate<String>(flow: FlowControl(key: .payload("k"), debounce: .init(.seconds(5), maxDelay: .seconds(12))))
        var skipped: [String] = []
        var lastUntil: Date?
        for i in 0..<50 {
            let actions = gate.received("d\(i)", key: "a", idempotencyKey: nil, now: Self.t0.addingTimeInterval(Double(i) * 0.2))
            skipped += Self.skipped(actions)
            lastUntil = Self.held(actions).last?.1 ?? lastUntil
        }
        #expect(skipped.count == 49 && skipped.first == "d0")
        #expect(lastUntil == Self.t0.addingTimeInterval(12), "maxDelay (12 s after the first) comes before 5 s of quiet")
        let ran = Self.started(gate.due(now: Self.t0.addingTimeInterval(15)))
        #expect(ran == ["d49"])

        var bounded = FlowGate<String>(flow: FlowControl(debounce: .init(.seconds(5), maxDelay: .seconds(3))))
        _ = bounded.received("x0", key: "", idempotencyKey: nil, now: Self.t0)
        let capped = Self.held(bounded.received("x1", key: "", idempotencyKey: nil, now: Self.t0.addingTimeInterval(2)))
        #expect(capped.first?.1 == Self.t0.addingTimeInterval(3), "maxDelay after the first held event")
    }

    @Test func batchesCloseWhenFullOrWhenTheirTimeIsUp() {
        var gate = FlowGate<String>(flow: FlowControl(key: .payload("k"), batch: .init(maxSize: 3, within: .seconds(5))))
        var batches: [[String]] = []
        for i in 0..<7 {
            for action in gate.received("b\(i)", key: "a", idempotencyKey: nil, now: Self.t0) {
                if case .startBatch(let items) = action { batches.append(items) }
            }
        }
        #expect(batches == [["b0", "b1", "b2"], ["b3", "b4", "b5"]])
        for action in gate.due(now: Self.t0.addingTimeInterval(5)) {
            if case .startBatch(let items) = action { batches.append(items) }
        }
        #expect(batches.last == ["b6"])
    }

    @Test func idempotencySkipsTheSameKeyWithinItsWindowAndRestoresIt() {
        var gate = FlowGate<String>(flow: FlowControl(idempotency: .init(key: .payload("orderId"), window: .seconds(60))))
        let first = Self.started(gate.received("i0", key: "", idempotencyKey: "o1", now: Self.t0))
        let again = Self.skipped(gate.received("i1", key: "", idempotencyKey: "o1", now: Self.t0.addingTimeInterval(30)))
        let other = Self.started(gate.received("i2", key: "", idempotencyKey: "o2", now: Self.t0.addingTimeInterval(30)))
        let after = Self.started(gate.received("i3", key: "", idempotencyKey: "o1", now: Self.t0.addingTimeInterval(61)))
        #expect(first == ["i0"] && again == ["i1"] && other == ["i2"] && after == ["i3"])

        var restored = FlowGate<String>(flow: FlowControl(idempotency: .init(key: .payload("orderId"), window: .seconds(60))))
        restored.restoreSeen("o1", at: Self.t0)
        let skippedAfterRestore = Self.skipped(restored.received("i4", key: "", idempotencyKey: "o1", now: Self.t0.addingTimeInterval(10)))
        #expect(skippedAfterRestore == ["i4"])
    }

    @Test func flowKeysReadPayloadAndContextPaths() {
        let event = EventRecord(
            id: "e", name: "n", source: "s", payload: ["customer": ["id": "c1"], "n": 7], context: ["tenant": "t9"])
        #expect(FlowKey.payload("customer.id").extract(event) == "c1")
        #expect(FlowKey.payload("n").extract(event) == "7")
        #expect(FlowKey.context("tenant").extract(event) == "t9")
        #expect(FlowKey.payload("missing").extract(event) == nil)
        #expect(FlowControl(key: .payload("missing")).key(of: event) == "")
        #expect(RunDispatcher.flowPartition("job/c1", count: 12) == RunDispatcher.flowPartition("job/c1", count: 12))
        let spread = Set((0..<100).map { RunDispatcher.flowPartition("job/k\($0)", count: 12) })
        #expect(spread.count == 12)
    }
}
