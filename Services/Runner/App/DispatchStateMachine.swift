import TributaryKafka

/// The dispatch state of one job subscription, as a value: which partitions are assigned, closing
/// or behind a rewind gate; each job's lane of runs per partition; how many runs each received
/// offset still waits for; which offsets are finished contiguously; and who waits for a partition
/// to settle.
///
/// Every mutating method says what to do next as an action (start a worker, mark an offset done,
/// release intake permits, resume waiters); ``RunDispatcher`` holds it under its lock and carries
/// the actions out. It does no I/O and starts no tasks, so it is tested without a broker
/// (`DispatchStateMachineTests`), in the style of async-http-client's state machines.
///
/// `Work` is one run to make (``RunDispatcher/Work`` in the runner; anything in tests). Worker and
/// waiter ids are handed out here so that the dispatcher can key its task handles and
/// continuations by them.
struct DispatchStateMachine<Work: Sendable>: Sendable {
    /// One run of a received record: in its job's lane (one after another per partition), or
    /// concurrently with the job's other runs.
    enum Run: Sendable {
        /// Queued behind earlier runs of the same lane (a job id) of this partition.
        case lane(String, Work)
        /// Started at once, beside the job's other runs.
        case concurrent(Work)
    }

    /// What a received record needs.
    enum Received: Sendable {
        /// Not taken (unknown or closing partition, stopped, a duplicate, or a stale record before a
        /// rewound fetch): give its intake permit back.
        case refused
        /// Nothing to run: give its intake permit back and, if set, mark this offset done.
        case finished(markDone: Int64?)
        /// Not an event: start a worker that dead-letters it, then reports ``settled(_:offset:finished:started:)``
        /// with `started: false`.
        case deadLetter
        /// Taken: start these workers.
        case start([Start])
    }

    /// A worker the dispatcher starts for a received record.
    enum Start: Sendable {
        /// A worker for the lane of this job id that takes runs with ``laneNext(_:lane:)`` until it
        /// gets none (only one worker runs a lane at a time).
        case laneWorker(String)
        /// A worker for one concurrent run, which counts itself with ``beginConcurrent(_:)`` first.
        case concurrent(Work)
    }

    /// What a settled run, or a record's end, asks for.
    struct Settled: Equatable, Sendable {
        /// Give one intake permit back (the record's last run settled).
        var releaseIntake = false
        /// Mark this offset done (the highest contiguous finished offset moved).
        var markDone: Int64?
        /// Resume these waiters with `true` (everything they wait for has settled).
        var resume: [Int] = []
    }

    /// What forgetting revoked partitions asks for.
    struct Removed: Equatable, Sendable {
        /// Intake permits the partitions' unfinished records held.
        var releaseIntake = 0
        /// `<p>.runs` partitions no assigned partition reads any more (forget their history).
        var forgetRunsPartitions: Set<Int32> = []
        /// Waiters to resume with `true` (their partitions are gone, hence settled).
        var resume: [Int] = []
    }

    /// After a rewind, the first record taken must be one the rewound fetch delivers: at or after
    /// `from` and, when the rewind went back, at or below `before` (the last offset taken before it).
    struct RewindGate: Equatable, Sendable {
        /// The offset the consumer seeks to.
        var from: Int64
        /// The last offset taken before the rewind (`Int64.max` if none was).
        var before: Int64

        /// Whether a record at `offset` comes from the rewound fetch (not from the buffer before it).
        func passes(_ offset: Int64) -> Bool {
            offset >= from && (from > before || offset <= before)
        }
    }

    /// A job's runs of one partition waiting their turn.
    struct Lane: Sendable {
        /// The runs queued; those before `head` were taken.
        var queue: [Work] = []
        /// The index of the next run to take.
        var head = 0
        /// A worker runs this lane (it takes the queued runs; no second one starts).
        var busy = false

        /// Runs queued and not yet taken.
        var count: Int { queue.count - head }

        /// Takes the next run (the lane must not be empty).
        mutating func take() -> Work {
            let work = queue[head]
            head += 1
            if head > 256 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            return work
        }
    }

    /// One assigned partition.
    struct Partition: Sendable {
        /// Its `<p>.runs` partition.
        let runsPartition: Int32
        /// Closing (revoked or draining): no record is taken, no queued run starts.
        var closing = false
        /// The rewind gate, until a record passes it.
        var rewind: RewindGate?
        /// Each serialised job's lane, by job id.
        var lanes: [String: Lane] = [:]
        /// Runs still to settle per received offset (absent: none, or it finished).
        var remaining: [Int64: Int] = [:]
        /// The received offsets not finished yet, to mark done only contiguous ones.
        var tracker = OffsetTracker()
        /// The next offset to commit, once known.
        var nextOffset: Int64?
        /// The last offset taken in this assignment (a record at or below it is a duplicate).
        var lastOffset: Int64 = -1
        /// Runs started and not yet settled (durable, or given up).
        var unsettled = 0
        /// Workers started and not yet ended.
        var workers: Set<Int> = []

        /// No run is in flight and no worker is alive.
        var isSettled: Bool { unsettled == 0 && workers.isEmpty }
    }

    /// The assigned partitions (a revoked one stays, closing, until ``removed(_:)``).
    private(set) var partitions: [KafkaTopicPartition: Partition] = [:]
    /// Draining for shutdown: no record is taken and no partition is restored any more.
    private(set) var stopped = false
    /// Who waits for which partitions to settle, by waiter id.
    private var waiters: [Int: Set<KafkaTopicPartition>] = [:]
    /// The last worker or waiter id handed out.
    private var nextId = 0

    /// An empty state: no partition assigned.
    init() {}

    // MARK: Partitions

    /// Partitions were assigned (their history restored): records of them are taken from now on.
    /// `runsPartitions` maps each to its `<p>.runs` partition.
    mutating func assigned(_ runsPartitions: [KafkaTopicPartition: Int32]) {
        for (partition, runsPartition) in runsPartitions {
            partitions[partition] = Partition(runsPartition: runsPartition)
        }
    }

    /// Partitions are being revoked: they take no more records and drop the runs queued in their
    /// lanes (runs in flight go on; their events run again after the revocation).
    mutating func revoking(_ revoked: Set<KafkaTopicPartition>) {
        for partition in revoked {
            update(partition) { p in
                p.closing = true
                for job in p.lanes.keys {
                    p.lanes[job]!.queue = []
                    p.lanes[job]!.head = 0
                }
            }
        }
    }

    /// Forgets revoked partitions once their runs settled (or were given up): returns the intake
    /// permits their unfinished records held and the runs partitions to forget. `revoked` maps each
    /// revoked partition to its `<p>.runs` partition (whether or not it was assigned here).
    mutating func removed(_ revoked: [KafkaTopicPartition: Int32]) -> Removed {
        var action = Removed()
        for partition in revoked.keys {
            guard let p = partitions.removeValue(forKey: partition) else { continue }
            action.releaseIntake += p.tracker.unfinishedCount
        }
        action.forgetRunsPartitions = Set(revoked.values).subtracting(partitions.values.map(\.runsPartition))
        action.resume = settledWaiters()
        return action
    }

    /// Shutdown begins: no record is taken from now on; returns every partition, to be drained.
    mutating func stopping() -> [KafkaTopicPartition] {
        stopped = true
        return Array(partitions.keys)
    }

    /// A rewind of these partitions to `offsets` begins: returns the gates to install with
    /// ``rewound(_:)`` once they are revoked and assigned again (each remembers the last offset taken).
    func rewinding(_ offsets: [KafkaTopicPartition: Int64]) -> [KafkaTopicPartition: RewindGate] {
        offsets.reduce(into: [:]) { gates, entry in
            gates[entry.key] = RewindGate(from: entry.value, before: partitions[entry.key]?.lastOffset ?? Int64.max)
        }
    }

    /// The rewound partitions are assigned again: records fetched before the seek are passed over.
    mutating func rewound(_ gates: [KafkaTopicPartition: RewindGate]) {
        for (partition, gate) in gates where partitions[partition] != nil {
            partitions[partition]!.rewind = gate
        }
    }

    /// The partitions assigned and accepting records.
    var accepting: Set<KafkaTopicPartition> {
        Set(partitions.filter { !$0.value.closing }.keys)
    }

    /// The next offset to commit of every assigned partition whose position is known.
    var positions: [KafkaTopicPartition: Int64] {
        partitions.compactMapValues(\.nextOffset)
    }

    // MARK: Records

    /// A record at `offset` of `partition` was read; `runs` are its runs (none: nothing matched or
    /// every match finished before), or `unreadable` when it is not an event.
    mutating func received(_ partition: KafkaTopicPartition, offset: Int64, runs: [Run], unreadable: Bool = false) -> Received {
        guard !stopped else { return .refused }
        return update(partition) { p in Self.receive(&p, offset: offset, runs: runs, unreadable: unreadable) } ?? .refused
    }

    private static func receive(_ p: inout Partition, offset: Int64, runs: [Run], unreadable: Bool) -> Received {
        guard !p.closing, offset > p.lastOffset else { return .refused }
        if let gate = p.rewind {
            guard gate.passes(offset) else { return .refused }
            p.rewind = nil
        }
        p.lastOffset = offset
        p.tracker.add(offset)
        if p.nextOffset == nil { p.nextOffset = offset }
        let count = runs.count + (unreadable ? 1 : 0)
        if count > 0 { p.remaining[offset] = count }
        if unreadable { return .deadLetter }
        if runs.isEmpty {
            let done = p.tracker.finish(offset)
            if let done { p.nextOffset = done + 1 }
            return .finished(markDone: done)
        }
        var starts: [Start] = []
        for run in runs {
            switch run {
            case .concurrent(let work):
                starts.append(.concurrent(work))
            case .lane(let job, let work):
                p.lanes[job, default: Lane()].queue.append(work)
                if !p.lanes[job]!.busy {
                    p.lanes[job]!.busy = true
                    starts.append(.laneWorker(job))
                }
            }
        }
        return .start(starts)
    }

    /// A lane's worker asks for its next run: returns it (counted as started), or `nil` when the
    /// lane is empty or its partition closing (the worker ends; the next record starts a new one).
    mutating func laneNext(_ partition: KafkaTopicPartition, lane job: String) -> Work? {
        update(partition) { p -> Work? in
            guard p.lanes[job] != nil else { return nil }
            guard !p.closing, p.lanes[job]!.count > 0 else {
                p.lanes[job] = Lane()
                return nil
            }
            p.unsettled += 1
            return p.lanes[job]!.take()
        } ?? nil
    }

    /// A concurrent run is about to start: counts it as started and returns `true`, unless its
    /// partition is gone or closing.
    mutating func beginConcurrent(_ partition: KafkaTopicPartition) -> Bool {
        guard partitions[partition]?.closing == false else { return false }
        partitions[partition]!.unsettled += 1
        return true
    }

    /// A run (or a dead letter, `started: false`) of the record at `offset` is over: `finished` when
    /// its outcome is durable, otherwise its event runs again after a rebalance. The record ends
    /// when its last run finished.
    mutating func settled(_ partition: KafkaTopicPartition, offset: Int64, finished: Bool, started: Bool = true) -> Settled {
        guard partitions[partition] != nil else { return Settled() }
        var action = Settled()
        let settledNow = update(partition) { p -> Bool in
            Self.settle(&p, offset: offset, finished: finished, started: started, &action)
            return p.isSettled
        }!
        if settledNow { action.resume = settledWaiters() }
        return action
    }

    private static func settle(_ p: inout Partition, offset: Int64, finished: Bool, started: Bool, _ action: inout Settled) {
        if started { p.unsettled -= 1 }
        if finished, let left = p.remaining[offset] {
            if left > 1 {
                p.remaining[offset] = left - 1
            } else {
                p.remaining[offset] = nil
                action.releaseIntake = true
                action.markDone = p.tracker.finish(offset)
                if let done = action.markDone { p.nextOffset = done + 1 }
            }
        }
    }

    // MARK: Workers and waiters

    /// A worker for `partition` is about to start: returns its id, or `nil` if the partition is
    /// gone (start nothing).
    mutating func workerStarting(_ partition: KafkaTopicPartition) -> Int? {
        guard partitions[partition] != nil else { return nil }
        nextId += 1
        partitions[partition]!.workers.insert(nextId)
        return nextId
    }

    /// The worker `id` of `partition` ended: returns the waiters to resume with `true`.
    mutating func workerEnded(_ partition: KafkaTopicPartition, id: Int) -> [Int] {
        guard partitions[partition]?.workers.remove(id) != nil, partitions[partition]!.isSettled else { return [] }
        return settledWaiters()
    }

    /// The workers alive on these partitions (to cancel at the drain deadline).
    func workers(of partitions: Set<KafkaTopicPartition>) -> [Int] {
        partitions.flatMap { self.partitions[$0]?.workers ?? [] }
    }

    /// Whether every one of these partitions is settled (or gone).
    func isSettled(_ partitions: Set<KafkaTopicPartition>) -> Bool {
        partitions.allSatisfy { self.partitions[$0]?.isSettled ?? true }
    }

    /// Someone waits for these partitions to settle: returns `nil` if they are settled already
    /// (do not wait), otherwise the waiter's id, returned later by the action that settles them.
    mutating func waitForSettled(_ partitions: Set<KafkaTopicPartition>) -> Int? {
        guard !isSettled(partitions) else { return nil }
        nextId += 1
        waiters[nextId] = partitions
        return nextId
    }

    /// The waiter `id` gives up (its deadline passed): returns `true` if it still waited (resume it
    /// with `false`), `false` if an action resumed it already.
    mutating func waitTimedOut(_ id: Int) -> Bool {
        waiters.removeValue(forKey: id) != nil
    }

    /// Changes the state of `partition` in place (no copy of its lanes or offsets), if it is assigned.
    private mutating func update<R>(_ partition: KafkaTopicPartition, _ body: (inout Partition) -> R) -> R? {
        guard partitions[partition] != nil else { return nil }
        return body(&partitions[partition]!)
    }

    /// Removes and returns the waiters whose partitions have all settled.
    private mutating func settledWaiters() -> [Int] {
        guard !waiters.isEmpty else { return [] }
        let ready = waiters.filter { isSettled($0.value) }.keys.sorted()
        for id in ready { waiters[id] = nil }
        return ready
    }
}
