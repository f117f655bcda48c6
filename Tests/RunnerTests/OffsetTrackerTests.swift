import Testing
@testable import TributaryRunner

/// Which offset may be committed when events finish out of order.
@Suite("Offset tracker")
struct OffsetTrackerTests {
    @Test("only the highest contiguous finished offset is reported, once it moves")
    func contiguous() {
        var tracker = OffsetTracker()
        for offset in [Int64(4), 5, 7, 8] { tracker.add(offset) }
        #expect(tracker.finish(5) == nil)
        #expect(tracker.finish(8) == nil)
        #expect(tracker.unfinishedCount == 4)
        #expect(tracker.finish(4) == 5)  // gaps between received offsets (6 was never received) do not hold it
        #expect(tracker.unfinishedCount == 2)
        #expect(tracker.finish(7) == 8)
        #expect(tracker.unfinishedCount == 0)
    }

    @Test("a long run of offsets finished in reverse keeps its count and commits all at the end")
    func longReverse() {
        var tracker = OffsetTracker()
        for offset in Int64(0)..<5000 { tracker.add(offset) }
        for offset in stride(from: Int64(4999), to: 0, by: -1) { #expect(tracker.finish(offset) == nil) }
        #expect(tracker.finish(0) == 4999)
        tracker.add(5000)
        #expect(tracker.unfinishedCount == 1)
        #expect(tracker.finish(5000) == 5000)
    }

    @Test("in-order finishes are reported one by one while the head is trimmed")
    func inOrder() {
        var tracker = OffsetTracker()
        for offset in Int64(0)..<3000 {
            tracker.add(offset)
            if offset % 2 == 1 {
                #expect(tracker.finish(offset - 1) == offset - 1)
                #expect(tracker.finish(offset) == offset)
            }
        }
        #expect(tracker.unfinishedCount == 0)
    }
}
