/// The offsets of one partition that were received and not yet finished, so that only the highest
/// contiguous finished offset is committed when events finish out of order.
struct OffsetTracker: Sendable {
    private var pending: [Int64] = []
    private var head = 0
    private var finished: Set<Int64> = []

    /// An offset was received (offsets arrive in increasing order).
    mutating func add(_ offset: Int64) {
        pending.append(offset)
    }

    /// An offset finished; returns the highest offset below which every received offset is
    /// finished, if that moved.
    mutating func finish(_ offset: Int64) -> Int64? {
        finished.insert(offset)
        var highest: Int64?
        while head < pending.count, finished.remove(pending[head]) != nil {
            highest = pending[head]
            head += 1
        }
        if head > 1024 && head * 2 > pending.count {
            pending.removeFirst(head)
            head = 0
        }
        return highest
    }

    /// How many received offsets are not finished.
    var unfinishedCount: Int { pending.count - head }
}
