import Foundation

/// When each waiting run of a subscription is due, as a value: a binary min-heap of due times with
/// lazy removal (a rescheduled or removed key leaves a stale entry that ``popDue(now:)`` skips).
/// No I/O and no tasks: ``RunDispatcher`` holds it under its lock and sleeps until ``next``.
struct WaitTimers: Sendable {
    private struct Entry: Sendable {
        var due: Date
        var key: String
        var generation: Int
    }

    private var heap: [Entry] = []
    private var current: [String: (due: Date, generation: Int)] = [:]
    private var generation = 0

    /// How many keys are scheduled.
    var count: Int { current.count }

    /// The earliest due time, if any key is scheduled.
    var next: Date? {
        mutating get {
            dropStale()
            return heap.first?.due
        }
    }

    /// Whether `key` is scheduled.
    func contains(_ key: String) -> Bool { current[key] != nil }

    /// Schedules `key` at `due` (replacing an earlier schedule); true when it became the earliest.
    @discardableResult
    mutating func schedule(_ key: String, at due: Date) -> Bool {
        generation += 1
        current[key] = (due, generation)
        push(Entry(due: due, key: key, generation: generation))
        dropStale()
        return heap.first?.generation == generation
    }

    /// Unschedules `key`; true when it was scheduled.
    @discardableResult
    mutating func remove(_ key: String) -> Bool { current.removeValue(forKey: key) != nil }

    /// Removes and returns the keys due at `now`, earliest first.
    mutating func popDue(now: Date) -> [String] {
        var due: [String] = []
        while let top = heap.first, top.due <= now {
            pop()
            guard let live = current[top.key], live.generation == top.generation else { continue }
            current[top.key] = nil
            due.append(top.key)
        }
        return due
    }

    private mutating func dropStale() {
        while let top = heap.first, current[top.key]?.generation != top.generation { pop() }
    }

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].due < heap[smallest].due { smallest = left }
            if right < heap.count, heap[right].due < heap[smallest].due { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
