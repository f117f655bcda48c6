import Testing
import Tributary

@testable import TributaryReceiver

/// Which deliveries go to `<p>.deliveries`: every accepted one; refused ones up to the limit per
/// source and second, the rest counted and reported on the source's next record.
@Suite struct DeliveryThrottleTests {
    @Test("refusals beyond the limit in one second are counted, and the count rides on the next record")
    func refusalsOverTheLimitAreCounted() {
        var throttle = DeliveryThrottle()
        throttle.limit = 3
        let first = (0..<5).map { _ in throttle.admit(sourceKey: "stripe.webhook", outcome: .badSignature, second: 100) }
        #expect(first == [.record(unrecorded: 0), .record(unrecorded: 0), .record(unrecorded: 0), .count, .count])
        // An accepted delivery is always recorded, carrying the two counted refusals.
        let accepted = throttle.admit(sourceKey: "stripe.webhook", outcome: .accepted, second: 100)
        #expect(accepted == .record(unrecorded: 2))
        #expect(throttle.admit(sourceKey: "stripe.webhook", outcome: .badSignature, second: 100) == .count)
        // The next second starts a new allowance; the refusal counted since the last record rides on it.
        #expect(throttle.admit(sourceKey: "stripe.webhook", outcome: .badSignature, second: 101) == .record(unrecorded: 1))
    }

    @Test("sources have allowances of their own; made-up keys share one")
    func bucketsPerSource() {
        var throttle = DeliveryThrottle()
        throttle.limit = 1
        #expect(throttle.admit(sourceKey: "a", outcome: .stale, second: 5) == .record(unrecorded: 0))
        #expect(throttle.admit(sourceKey: "b", outcome: .stale, second: 5) == .record(unrecorded: 0))
        #expect(throttle.admit(sourceKey: "nope-1", outcome: .unknownSource, second: 5) == .record(unrecorded: 0))
        #expect(throttle.admit(sourceKey: "nope-2", outcome: .unknownSource, second: 5) == .count)
        #expect(throttle.admit(sourceKey: "a", outcome: .stale, second: 5) == .count)
    }

    @Test("accepted deliveries are never throttled")
    func acceptedAlwaysRecorded() {
        var throttle = DeliveryThrottle()
        throttle.limit = 0
        let decisions = (0..<1000).map { _ in throttle.admit(sourceKey: "s", outcome: .accepted, second: 1) }
        #expect(decisions.allSatisfy { $0 == .record(unrecorded: 0) })
    }

    @Test("the table of buckets stays bounded under a flood of made-up keys")
    func boundedTable() {
        var throttle = DeliveryThrottle()
        throttle.maximumSources = 10
        for second in Int64(0)..<100 {
            for index in 0..<20 { _ = throttle.admit(sourceKey: "key-\(second)-\(index)", outcome: .malformed, second: second) }
        }
        #expect(throttle.bucketCount <= 20)
    }
}
