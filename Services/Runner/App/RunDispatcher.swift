import Foundation
import TributaryKafka
import Logging
import ServiceSupport
import Synchronization
import Tributary

/// Turns one job subscription's received records into runs and tells the consumer which offsets
/// are finished.
///
/// Per assigned partition it keeps an ordered lane per job (a job's runs for events of a partition
/// run one after another, unless the job allows concurrent runs), counts each event's unfinished
/// runs, and marks the highest contiguous finished offset done. Runs are capped runner-wide; a run
/// waiting out a retry pause holds no permit and blocks only its own lane.
///
/// The bookkeeping is a ``DispatchStateMachine`` held under one lock; this class carries out its
/// actions (starts workers, marks offsets done, releases permits, resumes waiters), and
/// ``RunAttempts`` runs each run's attempts.
final class RunDispatcher: Sendable {
    /// One run to make: a job and an event, where it came from, and what earlier attempts left.
    struct Work: Sendable {
        var job: RunnerJob
        var event: EventRecord
        var message: KafkaMessage
        var runKey: String
        var runsPartition: Int32
        var restored: RunHistory.Entry?
        var partition: KafkaTopicPartition { message.topicPartition }
    }

    typealias Machine = DispatchStateMachine<Work>

    private struct State {
        var machine = Machine()
        /// The task of each worker the machine counts, by worker id.
        var workers: [Int: Task<Void, Never>] = [:]
        /// Who waits in ``waitUntilSettled(_:timeout:)``, by waiter id, with the timer of its deadline.
        var waiters: [Int: (continuation: CheckedContinuation<Bool, Never>, timer: Task<Void, Never>?)] = [:]

        /// Removes the waiters `ids` (to resume outside the lock), cancelling their timers.
        mutating func take(_ ids: [Int]) -> [CheckedContinuation<Bool, Never>] {
            ids.compactMap { id in
                guard let waiter = waiters.removeValue(forKey: id) else { return nil }
                waiter.timer?.cancel()
                return waiter.continuation
            }
        }
    }

    private let state = Mutex(State())
    private let jobs: [RunnerJob]
    private let configuration: RunnerConfiguration
    private let runsPartitionCount: Int32
    private let writer: RecordWriter
    private let history: RunHistory
    private let metrics: RunnerMetrics
    private let intake: RunPermits
    private let attempts: RunAttempts
    private let logger: Logger
    private let markDone: @Sendable (KafkaTopicPartition, Int64) -> Void

    /// A dispatcher for `jobs` (one job per subscription); `permits` caps runs across the whole runner.
    init(
        jobs: [RunnerJob], configuration: RunnerConfiguration, runsPartitionCount: Int32, writer: RecordWriter,
        history: RunHistory, metrics: RunnerMetrics, permits: RunPermits, logger: Logger,
        markDone: @escaping @Sendable (KafkaTopicPartition, Int64) -> Void
    ) {
        self.jobs = jobs
        self.configuration = configuration
        self.runsPartitionCount = runsPartitionCount
        self.writer = writer
        self.history = history
        self.metrics = metrics
        self.intake = RunPermits(configuration.maxPendingEvents)
        self.attempts = RunAttempts(
            configuration: configuration, writer: writer, history: history, metrics: metrics,
            permits: permits, logger: logger)
        self.logger = logger
        self.markDone = markDone
    }

    /// The `<p>.runs` partition of an event partition: the same number for `<p>.events`; for other
    /// systems' topics, the number modulo the runs topic's partition count.
    func runsPartition(for partition: KafkaTopicPartition) -> Int32 {
        partition.topic == configuration.eventsTopic ? partition.partition : partition.partition % runsPartitionCount
    }

    // MARK: Rebalancing

    /// Restores what the runs of newly assigned partitions left, then accepts their records.
    func assign(_ partitions: [KafkaTopicPartition]) async {
        let restoring = Set(partitions.map(runsPartition(for:)))
        var pause = Duration.milliseconds(200)
        while !state.withLock({ $0.machine.stopped }) {
            do {
                let started = ContinuousClock.now
                let (count, expired) = try await history.rebuild(
                    configuration: configuration.kafka, runsTopic: configuration.runsTopic, partitions: restoring, logger: logger)
                logger.info(
                    "partitions assigned; runs restored",
                    metadata: [
                        LogKey.jobId: "\(history.jobId)", "partitions": "\(partitions.sorted())", "runRecords": "\(count)",
                        "finished": "\(history.counts.finished)", "unfinished": "\(history.counts.unfinished)",
                        "expired": "\(expired.values.reduce(0) { $0 + $1.count })", "took": "\(ContinuousClock.now - started)",
                    ])
                tombstone(expired)
                break
            } catch {
                logger.error("restoring runs failed; retrying", metadata: [LogKey.error: "\(error)"])
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            }
        }
        let runsPartitions = Dictionary(uniqueKeysWithValues: partitions.map { ($0, runsPartition(for: $0)) })
        state.withLock { $0.machine.assigned(runsPartitions) }
    }

    /// Removes runs that finished before the dedup window from `<p>.runs` (compaction drops them).
    private func tombstone(_ expired: [Int32: [String]]) {
        for (partition, keys) in expired {
            for key in keys {
                writer.enqueue(KafkaProducerMessage(topic: configuration.runsTopic, partition: partition, key: key, value: nil)) { _ in }
            }
        }
    }

    /// Stops taking records of these partitions, waits for their runs in flight (up to the drain
    /// timeout, then cancels them), marks what finished, and forgets them.
    func revoke(_ partitions: [KafkaTopicPartition]) async {
        let revoked = Set(partitions)
        state.withLock { $0.machine.revoking(revoked) }
        if !(await waitUntilSettled(revoked, timeout: configuration.drainTimeout)) {
            let cancelled = state.withLock { state in
                state.machine.workers(of: revoked).compactMap { state.workers[$0] }
            }
            logger.warning(
                "runs still in flight at the drain deadline are cancelled; their events will run again",
                metadata: ["runs": "\(cancelled.count)", "partitions": "\(partitions.sorted())"])
            for task in cancelled { task.cancel() }
            _ = await waitUntilSettled(revoked, timeout: .seconds(5))
        }
        let (removed, resumed) = state.withLock { state in
            let removed = state.machine.removed(Dictionary(uniqueKeysWithValues: revoked.map { ($0, runsPartition(for: $0)) }))
            history.forget(runsPartitions: removed.forgetRunsPartitions)
            return (removed, state.take(removed.resume))
        }
        for continuation in resumed { continuation.resume(returning: true) }
        if removed.releaseIntake > 0 { intake.release(removed.releaseIntake) }
    }

    /// Prepares partitions to be read again from `offsets` (a rewind): their runs in flight finish,
    /// their history is restored afresh, and records fetched before the seek are passed over. The
    /// caller then seeks the consumer.
    func rewind(_ offsets: [KafkaTopicPartition: Int64]) async {
        let partitions = Array(offsets.keys)
        let gates = state.withLock { $0.machine.rewinding(offsets) }
        await revoke(partitions)
        await assign(partitions)
        state.withLock { $0.machine.rewound(gates) }
    }

    /// Drains every partition (shutdown): no new record is taken from now on.
    func drainAll() async {
        await revoke(state.withLock { $0.machine.stopping() })
    }

    /// Waits until no run is in flight and no worker is alive on `partitions` (woken by the action
    /// that settles them, not by polling); returns `false` if `timeout` passed first. The deadline
    /// holds even if the calling task is cancelled.
    private func waitUntilSettled(_ partitions: Set<KafkaTopicPartition>, timeout: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let id = state.withLock { state -> Int? in
                guard let id = state.machine.waitForSettled(partitions) else { return nil }
                state.waiters[id] = (continuation, nil)
                return id
            }
            guard let id else { return continuation.resume(returning: true) }
            let timer = Task { [self] in
                try? await Task.sleep(for: timeout)
                let expired = state.withLock { state in
                    state.machine.waitTimedOut(id) ? state.waiters.removeValue(forKey: id)?.continuation : nil
                }
                expired?.resume(returning: false)
            }
            state.withLock { state in
                if state.waiters[id] != nil { state.waiters[id]!.timer = timer } else { timer.cancel() }
            }
        }
    }

    /// The partitions this runner holds now (restored and accepting records).
    var assigned: Set<KafkaTopicPartition> {
        state.withLock { $0.machine.accepting }
    }

    /// The next offset to commit of every assigned partition whose position is known.
    var positions: [KafkaTopicPartition: Int64] {
        state.withLock { $0.machine.positions }
    }

    // MARK: Dispatch

    /// Takes one record: dead-letters it if it is not an event, otherwise starts a run for each
    /// matching job that has not finished on it before. Suspends while too many events are unfinished.
    func dispatch(_ message: KafkaMessage) async {
        await intake.acquire()
        let partition = message.topicPartition
        let runsPartition = runsPartition(for: partition)
        var runs: [Machine.Run] = []
        var unreadable: String?
        do {
            let event = try CloudEvent.decode(WireRecord(message), receivedAt: message.timestamp ?? Date())
            // A replayed event (`tributary replay`) runs only the job whose run is replayed.
            let onlyJob = message.headers.first(named: Replay.jobHeader)?.stringValue
            for job in jobs where (onlyJob == nil || job.id == onlyJob) && job.job.matches(event) {
                let runKey = RunRecord.key(eventKey: event.key, jobId: job.id)
                var restored: RunHistory.Entry?
                switch history.lookup(runKey, runsPartition: runsPartition) {
                case .finished:
                    metrics.count(job: job.id, .skipped)
                    logger.debug("run finished before; skipped", metadata: [LogKey.jobId: "\(job.id)", LogKey.eventKey: "\(event.key)"])
                    continue
                case .unfinished(let entry):
                    restored = entry
                case .unknown:
                    restored = nil
                }
                let work = Work(
                    job: job, event: event, message: message, runKey: runKey, runsPartition: runsPartition,
                    restored: restored)
                runs.append(job.concurrentRuns ? .concurrent(work) : .lane(job.id, work))
            }
        } catch {
            unreadable = error.reason
        }
        let received = state.withLock {
            $0.machine.received(partition, offset: message.offset, runs: runs, unreadable: unreadable != nil)
        }
        switch received {
        case .refused:
            intake.release()
        case .finished(let done):
            intake.release()
            if let done { markDone(partition, done) }
        case .deadLetter:
            let reason = unreadable ?? ""
            metrics.countUnreadable()
            logger.warning(
                "not a CloudEvent; dead-lettered",
                metadata: [
                    LogKey.topic: "\(message.topic)", LogKey.partition: "\(message.partition)",
                    LogKey.offset: "\(message.offset)", LogKey.error: "\(reason)",
                ])
            spawn(partition) { [self] in
                let letter = DLQRecord(original: WireRecord(message), reason: reason)
                do {
                    try await writer.write(KafkaProducerMessage(topic: configuration.deadLetterTopic, record: letter.record()))
                    settle(partition, message.offset, finished: true, started: false)
                } catch {
                    settle(partition, message.offset, finished: false, started: false)
                }
            }
        case .start(let starts):
            for start in starts {
                switch start {
                case .laneWorker(let job):
                    spawn(partition) { [self] in
                        while let next = state.withLock({ $0.machine.laneNext(partition, lane: job) }) {
                            await run(next)
                        }
                    }
                case .concurrent(let work):
                    spawn(partition) { [self] in
                        guard state.withLock({ $0.machine.beginConcurrent(partition) }) else { return }
                        await run(work)
                    }
                }
            }
        }
    }

    /// Runs a started run's attempts; its settling goes back to the state machine.
    private func run(_ work: Work) async {
        await attempts.execute(work) { [self] finished in
            settle(work.partition, work.message.offset, finished: finished)
        }
    }

    /// Starts a worker task for `partition` (unless it is gone), counted until it ends.
    private func spawn(_ partition: KafkaTopicPartition, _ body: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            guard let id = state.machine.workerStarting(partition) else { return }
            // Created under the lock: the task cannot end (and remove itself) before it is stored.
            state.workers[id] = Task { [self] in
                await body()
                let resumed = self.state.withLock { state in
                    state.workers[id] = nil
                    return state.take(state.machine.workerEnded(partition, id: id))
                }
                for continuation in resumed { continuation.resume(returning: true) }
            }
        }
    }

    /// A started run (or dead letter) is over: carries out what the state machine says.
    private func settle(_ partition: KafkaTopicPartition, _ offset: Int64, finished: Bool, started: Bool = true) {
        let (action, resumed) = state.withLock { state in
            let action = state.machine.settled(partition, offset: offset, finished: finished, started: started)
            return (action, state.take(action.resume))
        }
        for continuation in resumed { continuation.resume(returning: true) }
        if action.releaseIntake { intake.release() }
        if let done = action.markDone { markDone(partition, done) }
    }
}
