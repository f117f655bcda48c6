import TributaryKafka
import Testing
@testable import TributaryRunner

/// The dispatch bookkeeping without a broker: records in, actions out.
@Suite("Dispatch state machine")
struct DispatchStateMachineTests {
    typealias Machine = DispatchStateMachine<String>

    static let p0 = KafkaTopicPartition(topic: "t.events", partition: 0)
    static let p1 = KafkaTopicPartition(topic: "t.events", partition: 1)

    static func machine(_ partitions: KafkaTopicPartition...) -> Machine {
        var machine = Machine()
        machine.assigned(Dictionary(uniqueKeysWithValues: partitions.map { ($0, $0.partition) }))
        return machine
    }

    /// Takes every queued run of a lane, as its worker would.
    static func drain(_ machine: inout Machine, _ partition: KafkaTopicPartition, lane: String) -> [String] {
        var taken: [String] = []
        while let next = machine.laneNext(partition, lane: lane) { taken.append(next) }
        return taken
    }

    /// `#expect` for conditions that change the machine (evaluated before the check).
    static func check(_ condition: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(condition, sourceLocation: sourceLocation)
    }

    static func starts(_ received: Machine.Received) -> [String] {
        guard case .start(let starts) = received else { return [] }
        return starts.map {
            switch $0 {
            case .laneWorker(let job): "lane:\(job)"
            case .concurrent(let work): "concurrent:\(work)"
            }
        }
    }

    @Test("out-of-order finishes commit only the contiguous offsets")
    func outOfOrder() {
        var m = Self.machine(Self.p0)
        for offset in Int64(10)...13 {
            _ = m.received(Self.p0, offset: offset, runs: [.concurrent("e\(offset)")])
            Self.check(m.beginConcurrent(Self.p0))
        }
        #expect(m.positions[Self.p0] == 10)
        Self.check(m.settled(Self.p0, offset: 12, finished: true) == .init(releaseIntake: true, markDone: nil))
        Self.check(m.settled(Self.p0, offset: 11, finished: true) == .init(releaseIntake: true, markDone: nil))
        #expect(m.positions[Self.p0] == 10)
        Self.check(m.settled(Self.p0, offset: 10, finished: true) == .init(releaseIntake: true, markDone: 12))
        #expect(m.positions[Self.p0] == 13)
        Self.check(m.settled(Self.p0, offset: 13, finished: true).markDone == 13)
        #expect(m.positions[Self.p0] == 14)
    }

    @Test("an event ends with its last run; an unfinished run keeps it (and its intake permit) open")
    func lastRunEndsTheEvent() {
        var m = Self.machine(Self.p0)
        _ = m.received(Self.p0, offset: 5, runs: [.concurrent("a"), .concurrent("b")])
        Self.check(m.beginConcurrent(Self.p0) && m.beginConcurrent(Self.p0))
        Self.check(m.settled(Self.p0, offset: 5, finished: true) == .init())
        Self.check(m.settled(Self.p0, offset: 5, finished: true) == .init(releaseIntake: true, markDone: 5))

        _ = m.received(Self.p0, offset: 6, runs: [.concurrent("c")])
        Self.check(m.beginConcurrent(Self.p0))
        Self.check(m.settled(Self.p0, offset: 6, finished: false) == .init())
        #expect(m.positions[Self.p0] == 6)
        #expect(m.partitions[Self.p0]?.unsettled == 0)
    }

    @Test("a record with nothing to run finishes at once; one that is not an event is dead-lettered first")
    func nothingToRunAndUnreadable() {
        var m = Self.machine(Self.p0)
        guard case .finished(let done) = m.received(Self.p0, offset: 0, runs: []) else { Issue.record("not finished"); return }
        #expect(done == 0)
        guard case .deadLetter = m.received(Self.p0, offset: 1, runs: [], unreadable: true) else {
            Issue.record("not dead-lettered"); return
        }
        #expect(m.positions[Self.p0] == 1)
        Self.check(m.settled(Self.p0, offset: 1, finished: true, started: false) == .init(releaseIntake: true, markDone: 1))
        #expect(m.partitions[Self.p0]?.unsettled == 0)
    }

    @Test("a duplicate or older offset is refused; so is a record of an unknown partition or after the stop")
    func duplicatesRefused() {
        var m = Self.machine(Self.p0)
        _ = m.received(Self.p0, offset: 3, runs: [])
        guard case .refused = m.received(Self.p0, offset: 3, runs: [.concurrent("again")]) else { Issue.record("duplicate taken"); return }
        guard case .refused = m.received(Self.p0, offset: 2, runs: []) else { Issue.record("older offset taken"); return }
        guard case .refused = m.received(Self.p1, offset: 0, runs: []) else { Issue.record("unknown partition taken"); return }
        Self.check(m.stopping() == [Self.p0])
        guard case .refused = m.received(Self.p0, offset: 4, runs: []) else { Issue.record("taken after the stop"); return }
        #expect(m.partitions[Self.p0]?.tracker.unfinishedCount == 0)
    }

    @Test("a lane serialises one job's runs of a partition: one worker, runs in order; other jobs and partitions have their own")
    func lanesSerialise() {
        var m = Self.machine(Self.p0, Self.p1)
        Self.check(Self.starts(m.received(Self.p0, offset: 0, runs: [.lane("a", "a0"), .lane("b", "b0")])) == ["lane:a", "lane:b"])
        Self.check(Self.starts(m.received(Self.p0, offset: 1, runs: [.lane("a", "a1"), .concurrent("c1")])) == ["concurrent:c1"])
        Self.check(Self.starts(m.received(Self.p1, offset: 0, runs: [.lane("a", "a0@1")])) == ["lane:a"])
        Self.check(m.laneNext(Self.p0, lane: "a") == "a0")
        Self.check(Self.starts(m.received(Self.p0, offset: 2, runs: [.lane("a", "a2")])) == [])
        Self.check(m.laneNext(Self.p0, lane: "a") == "a1")
        Self.check(m.laneNext(Self.p0, lane: "a") == "a2")
        #expect(m.partitions[Self.p0]?.unsettled == 3)
        Self.check(m.laneNext(Self.p0, lane: "a") == nil)
        // The worker ended: the next record starts a new one.
        Self.check(Self.starts(m.received(Self.p0, offset: 3, runs: [.lane("a", "a3")])) == ["lane:a"])
        Self.check(Self.drain(&m, Self.p0, lane: "a") == ["a3"])
        Self.check(Self.drain(&m, Self.p0, lane: "b") == ["b0"])
        Self.check(Self.drain(&m, Self.p1, lane: "a") == ["a0@1"])
    }

    @Test("a long lane keeps its order while its taken head is trimmed")
    func longLane() {
        var m = Self.machine(Self.p0)
        var taken: [String] = []
        for offset in Int64(0)..<2000 {
            _ = m.received(Self.p0, offset: offset, runs: [.lane("a", "\(offset)")])
            if offset % 3 == 0, let next = m.laneNext(Self.p0, lane: "a") { taken.append(next) }
        }
        taken += Self.drain(&m, Self.p0, lane: "a")
        #expect(taken == (0..<2000).map { "\($0)" })
    }

    @Test("a revoked partition drops its queued runs, takes no record, and reports its unfinished intake")
    func revoked() {
        var m = Self.machine(Self.p0, Self.p1)
        _ = m.received(Self.p0, offset: 0, runs: [.lane("a", "a0")])
        _ = m.received(Self.p0, offset: 1, runs: [.lane("a", "a1")])
        _ = m.received(Self.p0, offset: 2, runs: [])
        _ = m.received(Self.p0, offset: 3, runs: [.lane("a", "a3")])
        Self.check(m.laneNext(Self.p0, lane: "a") == "a0")
        m.revoking([Self.p0])
        #expect(m.accepting == [Self.p1])
        Self.check(m.laneNext(Self.p0, lane: "a") == nil)
        Self.check(!m.beginConcurrent(Self.p0))
        guard case .refused = m.received(Self.p0, offset: 4, runs: []) else { Issue.record("taken while closing"); return }
        // The run in flight settles; the queued ones never start.
        Self.check(m.settled(Self.p0, offset: 0, finished: true) == .init(releaseIntake: true, markDone: 0))
        #expect(m.isSettled([Self.p0]))
        let removed = m.removed([Self.p0: 0])
        #expect(removed.releaseIntake == 3)  // offsets 1, 2 and 3: 2 had nothing to run but waits behind 1
        #expect(removed.forgetRunsPartitions == [0])
        #expect(m.partitions[Self.p0] == nil)
        Self.check(m.settled(Self.p0, offset: 1, finished: true) == .init())
    }

    @Test("history of a runs partition is kept while another assigned partition reads it")
    func sharedRunsPartition() {
        let other = KafkaTopicPartition(topic: "other", partition: 4)
        var m = Machine()
        m.assigned([Self.p0: 0, other: 0, Self.p1: 1])
        Self.check(m.removed([Self.p0: 0, Self.p1: 1]).forgetRunsPartitions == [1])
        Self.check(m.removed([other: 0, Self.p1: 1]).forgetRunsPartitions == [0, 1])
    }

    @Test("the rewind gate passes over stale buffered records, then takes the rewound fetch")
    func rewindBack() {
        var m = Self.machine(Self.p0)
        for offset in Int64(0)...9 { _ = m.received(Self.p0, offset: offset, runs: []) }
        let gates = m.rewinding([Self.p0: 3])
        #expect(gates[Self.p0] == .init(from: 3, before: 9))
        m.revoking([Self.p0])
        _ = m.removed([Self.p0: 0])
        m.assigned([Self.p0: 0])
        m.rewound(gates)
        // Records fetched before the seek (after 9) are passed over; so is anything before 3.
        guard case .refused = m.received(Self.p0, offset: 10, runs: []) else { Issue.record("stale record taken"); return }
        guard case .refused = m.received(Self.p0, offset: 2, runs: []) else { Issue.record("record before the rewind taken"); return }
        guard case .finished(let done) = m.received(Self.p0, offset: 3, runs: []) else { Issue.record("rewound record refused"); return }
        #expect(done == 3)
        // The gate is gone once passed.
        guard case .finished = m.received(Self.p0, offset: 10, runs: []) else { Issue.record("later record refused"); return }
    }

    @Test("a rewind forward passes over everything before its offset")
    func rewindForward() {
        var m = Self.machine(Self.p0)
        _ = m.received(Self.p0, offset: 0, runs: [])
        let gates = m.rewinding([Self.p0: 50])
        #expect(gates[Self.p0] == .init(from: 50, before: 0))
        m.rewound(gates)
        guard case .refused = m.received(Self.p0, offset: 1, runs: []) else { Issue.record("stale record taken"); return }
        guard case .finished = m.received(Self.p0, offset: 57, runs: []) else { Issue.record("rewound record refused"); return }
        #expect(Machine.RewindGate(from: 5, before: Int64.max).passes(7))
    }

    @Test("waiters are resumed by the action that settles their partitions, or time out")
    func waiters() {
        var m = Self.machine(Self.p0, Self.p1)
        Self.check(m.waitForSettled([Self.p0]) == nil)  // nothing in flight
        _ = m.received(Self.p0, offset: 0, runs: [.concurrent("x")])
        let worker = m.workerStarting(Self.p0)!
        Self.check(m.workerStarting(KafkaTopicPartition(topic: "gone", partition: 0)) == nil)
        Self.check(m.beginConcurrent(Self.p0))
        _ = m.received(Self.p1, offset: 0, runs: [.concurrent("y")])
        Self.check(m.beginConcurrent(Self.p1))
        let both = m.waitForSettled([Self.p0, Self.p1])!
        let first = m.waitForSettled([Self.p0])!
        let late = m.waitForSettled([Self.p1])!
        #expect(m.workers(of: [Self.p0]) == [worker])
        Self.check(m.settled(Self.p0, offset: 0, finished: true).resume == [])  // its worker is alive
        Self.check(m.workerEnded(Self.p0, id: worker) == [first])
        Self.check(m.waitTimedOut(late))
        Self.check(!m.waitTimedOut(first))
        Self.check(m.settled(Self.p1, offset: 0, finished: false).resume == [both])
    }

    @Test("removing a partition resumes whoever waits for it")
    func removalResumes() {
        var m = Self.machine(Self.p0)
        _ = m.received(Self.p0, offset: 0, runs: [.concurrent("x")])
        Self.check(m.beginConcurrent(Self.p0))
        let waiter = m.waitForSettled([Self.p0])!
        m.revoking([Self.p0])
        Self.check(m.removed([Self.p0: 0]).resume == [waiter])
    }
}
