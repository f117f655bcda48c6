import Foundation
import Tributary

/// A flow-controlled job's decisions for the keys of one `<p>.flow` partition, as a value: which
/// event runs now, which waits (queued for a concurrency slot, delayed by the throttle, held by
/// the debounce or a batch) and which runs nothing (rate limited, a duplicate, superseded by a
/// later event of its debounce, folded into a batch). No I/O: ``RunDispatcher`` holds it under its
/// lock, carries the actions out, and records every held and skipped event on `<p>.runs`.
///
/// Checks in order: idempotency, debounce, batch, rate limit, throttle, concurrency. An event
/// held by the debounce, a batch or the throttle goes through the concurrency check when it is due.
struct FlowGate<Item: Sendable>: Sendable {
    /// What to do with an event.
    enum Action: Sendable {
        /// Run it now (it holds one of its key's concurrency slots until ``finished(key:now:)``).
        case start(Item)
        /// Run these events as one batch (the first one's run; the others are folded into it).
        case startBatch([Item])
        /// Record it as skipped (no run), for `reason`.
        case skip(Item, reason: String)
        /// Record it as waiting, until `until` (nil: until a concurrency slot frees), for `reason`.
        case hold(Item, until: Date?, reason: String)
    }

    private struct Held: Sendable {
        var item: Item
        var until: Date
        var firstAt: Date
        var arrivedAt: Date
    }

    let flow: FlowControl
    private var running: [String: Int] = [:]
    private var queued: [String: [Item]] = [:]
    private var starts: [String: [Date]] = [:]
    /// Starts counted for the rate limit and throttle at their decision, oldest first, not yet
    /// confirmed by ``started(key:at:)`` with the time the run really started.
    private var unconfirmed: [String: [Date]] = [:]
    private var seen: [String: Date] = [:]
    private var debounced: [String: Held] = [:]
    private var batches: [String: (items: [(item: Item, arrivedAt: Date)], until: Date)] = [:]
    private var delayed: [(key: String, item: Item, until: Date)] = []

    /// The gate of a job with `flow`.
    init(flow: FlowControl) { self.flow = flow }

    /// How many items wait in the gate (queued, delayed, debounced or batching).
    var heldCount: Int {
        queued.values.reduce(0) { $0 + $1.count } + debounced.count + batches.values.reduce(0) { $0 + $1.items.count } + delayed.count
    }

    /// The next time ``due(now:)`` has something to release.
    var next: Date? {
        (debounced.values.map(\.until) + batches.values.map(\.until) + delayed.map(\.until)).min()
    }

    /// How many runs of `key` execute now.
    func runningCount(_ key: String) -> Int { running[key] ?? 0 }

    /// An event of `key` (with its idempotency key), which first arrived at `arrivedAt` (its time on
    /// `<p>.events`: events of a key come from several partitions, so this, not the order they reach
    /// the gate, says which is the later one), is decided at `now`.
    mutating func received(_ item: Item, key: String, idempotencyKey: String?, now: Date, arrivedAt: Date? = nil) -> [Action] {
        let arrivedAt = arrivedAt ?? now
        if let idempotency = flow.idempotency, let idem = idempotencyKey {
            if let at = seen[idem], now.timeIntervalSince(at) < idempotency.window.seconds {
                return [.skip(item, reason: "duplicate: idempotency key \(idem) ran within \(idempotency.window)")]
            }
            seen[idem] = now
        }
        if let debounce = flow.debounce {
            var actions: [Action] = []
            var firstAt = now
            var kept = item
            var keptArrival = arrivedAt
            if let previous = debounced[key] {
                firstAt = previous.firstAt
                if previous.arrivedAt > arrivedAt {
                    // This one came earlier than the one held: it is the one replaced.
                    kept = previous.item
                    keptArrival = previous.arrivedAt
                    actions.append(.skip(item, reason: "debounced: a later event of key \(key) replaced it"))
                } else {
                    actions.append(.skip(previous.item, reason: "debounced: a later event of key \(key) replaced it"))
                }
            }
            var until = now.addingTimeInterval(debounce.period.seconds)
            if let maxDelay = debounce.maxDelay { until = min(until, firstAt.addingTimeInterval(maxDelay.seconds)) }
            let replaced = debounced[key] == nil || keptArrival == arrivedAt
            debounced[key] = Held(item: kept, until: until, firstAt: firstAt, arrivedAt: keptArrival)
            if replaced { actions.append(.hold(kept, until: until, reason: "debounced \(debounce.period) for key \(key)")) }
            return actions
        }
        if let batch = flow.batch {
            var current = batches[key] ?? ([], now.addingTimeInterval(batch.within.seconds))
            current.items.append((item, arrivedAt))
            if current.items.count >= batch.maxSize {
                batches[key] = nil
                return admit(batch: Self.inOrder(current.items), key: key)
            }
            batches[key] = current
            return [.hold(item, until: current.until, reason: "batching for key \(key) (\(current.items.count) of \(batch.maxSize))")]
        }
        return admitLimited(item, key: key, now: now)
    }

    /// Rate limit, throttle, then concurrency.
    private mutating func admitLimited(_ item: Item, key: String, now: Date) -> [Action] {
        prune(key, now: now)
        if let limit = flow.rateLimit {
            let recent = starts[key, default: []].filter { $0 > now.addingTimeInterval(-limit.period.seconds) && $0 <= now }
            if recent.count >= limit.count {
                return [.skip(item, reason: "rate limited: \(limit.count) per \(limit.period) for key \(key)")]
            }
        }
        if let limit = flow.throttle {
            let times = throttleStarts(key, now: now)
            if times.count >= limit.count {
                let slot = max(now, times[times.count - limit.count].addingTimeInterval(limit.period.seconds))
                if slot > now {
                    starts[key, default: []].append(slot)
                    delayed.append((key, item, slot))
                    return [.hold(item, until: slot, reason: "throttled: \(limit.count) per \(limit.period) for key \(key)")]
                }
            }
        }
        if flow.rateLimit != nil || flow.throttle != nil {
            starts[key, default: []].append(now)
            unconfirmed[key, default: []].append(now)
        }
        return admit(item, key: key)
    }

    /// The concurrency check: start, or queue in order.
    private mutating func admit(_ item: Item, key: String) -> [Action] {
        if let limit = flow.concurrency, running[key, default: 0] >= limit {
            queued[key, default: []].append(item)
            return [.hold(item, until: nil, reason: "queued: concurrency \(limit) for key \(key)")]
        }
        running[key, default: 0] += 1
        return [.start(item)]
    }

    private static func inOrder(_ items: [(item: Item, arrivedAt: Date)]) -> [Item] {
        items.enumerated().sorted { ($0.element.arrivedAt, $0.offset) < ($1.element.arrivedAt, $1.offset) }.map(\.element.item)
    }

    private mutating func admit(batch items: [Item], key: String) -> [Action] {
        running[key, default: 0] += 1
        return [.startBatch(items)]
    }

    /// A run of `key` that held a slot ended (or suspended): the next queued one of the key starts.
    mutating func finished(key: String, now: Date) -> [Action] {
        running[key] = max(0, running[key, default: 0] - 1)
        guard var waiting = queued[key], !waiting.isEmpty else { return [] }
        let next = waiting.removeFirst()
        queued[key] = waiting.isEmpty ? nil : waiting
        running[key, default: 0] += 1
        return [.start(next)]
    }

    /// Releases what is due at `now`: debounced events, full-time batches, throttled events.
    mutating func due(now: Date) -> [Action] {
        var actions: [Action] = []
        for (key, held) in debounced where held.until <= now {
            debounced[key] = nil
            actions += admit(held.item, key: key)
        }
        for (key, batch) in batches where batch.until <= now {
            batches[key] = nil
            actions += admit(batch: Self.inOrder(batch.items), key: key)
        }
        let ready = delayed.filter { $0.until <= now }
        delayed.removeAll { $0.until <= now }
        for entry in ready {
            // Checked again against the starts as they really happened (a run decided at once may
            // have started later than its decision): a window still full waits for its next slot.
            if let limit = flow.throttle {
                let own = starts[entry.key]?.firstIndex(of: entry.until)
                if let own { starts[entry.key]!.remove(at: own) }
                let window = throttleStarts(entry.key, now: now).filter { $0 > now.addingTimeInterval(-limit.period.seconds) && $0 <= now }
                if window.count >= limit.count {
                    let slot = window[window.count - limit.count].addingTimeInterval(limit.period.seconds)
                    starts[entry.key, default: []].append(slot)
                    starts[entry.key]!.sort()
                    delayed.append((entry.key, entry.item, slot))
                    continue
                }
                // Released late (a busy timer), it counts from now, not from its slot: four released
                // together would otherwise all start at once.
                starts[entry.key, default: []].append(now)
                starts[entry.key]!.sort()
                unconfirmed[entry.key, default: []].append(now)
            }
            actions += admit(entry.item, key: entry.key)
        }
        return actions
    }

    /// A run of `key` counted for the rate limit or throttle really started at `at` (nil: it will
    /// not start, a duplicate found finished): its oldest unconfirmed decision time is replaced by
    /// it (or dropped).
    mutating func started(key: String, at: Date?) {
        guard var waiting = unconfirmed[key], !waiting.isEmpty else { return }
        let decided = waiting.removeFirst()
        unconfirmed[key] = waiting.isEmpty ? nil : waiting
        if let index = starts[key]?.firstIndex(of: decided) {
            if let at {
                starts[key]![index] = max(decided, at)
                starts[key]!.sort()
            } else {
                starts[key]!.remove(at: index)
            }
        }
    }

    /// The starts of `key` the throttle counts at `now`, oldest first: a run decided but not started
    /// yet (waiting for a permit on a busy runner) starts at `now` at the earliest, so it counts as
    /// `now`; runs released together would otherwise all start inside one period.
    private func throttleStarts(_ key: String, now: Date) -> [Date] {
        var times = starts[key] ?? []
        // One unconfirmed for longer than five minutes is taken for lost, not for ever about to start.
        let lost = now.addingTimeInterval(-300 - (flow.throttle?.period.seconds ?? 0))
        for decided in unconfirmed[key] ?? [] where decided < now && decided > lost {
            if let index = times.firstIndex(of: decided) { times[index] = now }
        }
        return times.sorted()
    }

    // MARK: Restoring (a runner taking the partition over)

    /// A run of `key` started at `at` (from `<p>.runs`): it counts for the rate limit and throttle.
    mutating func restoreStart(key: String, at: Date) {
        starts[key, default: []].append(at)
        starts[key]!.sort()
    }

    /// An idempotency key seen at `at` (from `<p>.runs`).
    mutating func restoreSeen(_ idempotencyKey: String, at: Date) {
        seen[idempotencyKey] = max(seen[idempotencyKey] ?? at, at)
    }

    /// An event recorded as held (from `<p>.runs`), with its due time (nil: queued for a slot).
    mutating func restoreHeld(_ item: Item, key: String, until: Date?, now: Date) -> [Action] {
        guard let until else { return admit(item, key: key) }
        if flow.debounce != nil {
            debounced[key] = Held(item: item, until: until, firstAt: now, arrivedAt: now)
        } else if flow.batch != nil {
            var current = batches[key] ?? ([], until)
            current.items.append((item, now))
            current.until = min(current.until, until)
            batches[key] = current
        } else {
            delayed.append((key, item, until))
        }
        return []
    }

    private mutating func prune(_ key: String, now: Date) {
        let horizon = max(flow.rateLimit?.period.seconds ?? 0, flow.throttle?.period.seconds ?? 0)
        unconfirmed[key]?.removeAll { $0 <= now.addingTimeInterval(-300 - horizon) }
        // A start decided but not confirmed yet stays: it still counts (as starting now).
        let pending = unconfirmed[key] ?? []
        starts[key]?.removeAll { $0 <= now.addingTimeInterval(-horizon) && !pending.contains($0) }
        if let idempotency = flow.idempotency, seen.count > 10_000 {
            seen = seen.filter { now.timeIntervalSince($0.value) < idempotency.window.seconds }
        }
    }
}
