import Foundation
import Testing

@testable import TributaryRunner

/// ``WaitTimers`` without a broker: due order, rescheduling, removal.
@Suite struct WaitTimersTests {
    static let t0 = Date(timeIntervalSince1970: 1_000_000)

    @Test func keysFallDueInTimeOrderAndOnlyOnce() {
        var timers = WaitTimers()
        timers.schedule("c", at: Self.t0.addingTimeInterval(3))
        timers.schedule("a", at: Self.t0.addingTimeInterval(1))
        timers.schedule("b", at: Self.t0.addingTimeInterval(2))
        let next = timers.next
        #expect(next == Self.t0.addingTimeInterval(1))
        let none = timers.popDue(now: Self.t0)
        let two = timers.popDue(now: Self.t0.addingTimeInterval(2))
        let again = timers.popDue(now: Self.t0.addingTimeInterval(2))
        #expect(none == [] && two == ["a", "b"] && again == [])
        #expect(timers.count == 1)
        let last = timers.popDue(now: Self.t0.addingTimeInterval(10))
        let empty = timers.next
        #expect(last == ["c"] && empty == nil)
    }

    @Test func aRescheduledKeyFallsDueAtItsNewTimeAndARemovedOneNever() {
        var timers = WaitTimers()
        let a = timers.schedule("a", at: Self.t0.addingTimeInterval(5))
        let b = timers.schedule("b", at: Self.t0.addingTimeInterval(1))
        let later = timers.schedule("a", at: Self.t0.addingTimeInterval(9))
        #expect(a && b && !later, "a rescheduled later is not the earliest")
        let removed = timers.remove("b")
        let removedAgain = timers.remove("b")
        #expect(removed && !removedAgain)
        let next = timers.next
        #expect(next == Self.t0.addingTimeInterval(9))
        let early = timers.popDue(now: Self.t0.addingTimeInterval(6))
        let due = timers.popDue(now: Self.t0.addingTimeInterval(9))
        #expect(early == [] && due == ["a"])
    }

    @Test func aHundredThousandKeysComeOutSorted() {
        var timers = WaitTimers()
        var offsets = (0..<100_000).map { Double($0) }
        offsets.shuffle()
        for offset in offsets { timers.schedule("k\(Int(offset))", at: Self.t0.addingTimeInterval(offset)) }
        let due = timers.popDue(now: Self.t0.addingTimeInterval(200_000))
        #expect(due.count == 100_000)
        #expect(due.first == "k0" && due.last == "k99999")
        let inOrder = zip(due, due.dropFirst()).allSatisfy { Int($0.dropFirst())! < Int($1.dropFirst())! }
        #expect(inOrder)
    }
}
