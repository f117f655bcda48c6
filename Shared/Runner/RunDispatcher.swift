import Foundation
import Kafka
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

    /// A job's runs of one partition waiting their turn (a class: mutated in place under the lock).
    private final class Lane {
        var queue: [Work] = []
        var head = 0
        var busy = false
    }

    /// What the dispatcher knows of one assigned partition (a class: mutated in place under the lock).
    private final class PartitionState {
        init(runsPartition: Int32) { self.runsPartition = runsPartition }
        let runsPartition: Int32
        var tracker = OffsetTracker()
        var remaining: [Int64: Int] = [:]
        var lanes: [String: Lane] = [:]
        var tasks: [Int: Task<Void, Never>] = [:]
        /// Runs started and not yet settled (durable, or given up).
        var unsettled = 0
        var closing = false
        /// The next offset to commit, once known.
        var nextOffset: Int64?
        /// The last offset taken in this assignment (a record at or below it is a duplicate).
        var lastOffset: Int64 = -1
        /// After a rewind: records fetched before it are still in the buffer; the first record taken
        /// is one the rewound fetch delivers (at or after `from`, and at or below `before` when the
        /// rewind went back).
        var rewind: (from: Int64, before: Int64)?
    }

    private struct State {
        var partitions: [KafkaTopicPartition: PartitionState] = [:]
        var nextTaskId = 0
        var stopped = false
    }

    private let state = Mutex(State())
    private let jobs: [RunnerJob]
    private let configuration: RunnerConfiguration
    private let runsPartitionCount: Int32
    private let writer: RecordWriter
    private let history: RunHistory
    private let metrics: RunnerMetrics
    private let permits: RunPermits
    private let intake: RunPermits
    private let logger: Logger
    private let markDone: @Sendable (KafkaTopicPartition, Int64) -> Void

    /// A dispatcher for `jobs` (one job per subscription); `permits` caps runs across the whole runner.
    init(jobs: [RunnerJob], configuration: RunnerConfiguration, runsPartitionCount: Int32, writer: RecordWriter,
         history: RunHistory, metrics: RunnerMetrics, permits: RunPermits, logger: Logger,
         markDone: @escaping @Sendable (KafkaTopicPartition, Int64) -> Void) {
        self.jobs = jobs
        self.configuration = configuration
        self.runsPartitionCount = runsPartitionCount
        self.writer = writer
        self.history = history
        self.metrics = metrics
        self.permits = permits
        self.intake = RunPermits(configuration.maxPendingEvents)
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
        let runsPartitions = Set(partitions.map(runsPartition(for:)))
        var pause = Duration.milliseconds(200)
        while !state.withLock({ $0.stopped }) {
            do {
                let started = ContinuousClock.now
                let (count, expired) = try await history.rebuild(
                    configuration: configuration.kafka, runsTopic: configuration.runsTopic, partitions: runsPartitions, logger: logger)
                logger.info("partitions assigned; runs restored", metadata: [
                    LogKey.jobId: "\(history.jobId)", "partitions": "\(partitions.sorted())", "runRecords": "\(count)",
                    "finished": "\(history.counts.finished)", "unfinished": "\(history.counts.unfinished)",
                    "expired": "\(expired.values.reduce(0) { $0 + $1.count })", "took": "\(ContinuousClock.now - started)"])
                tombstone(expired)
                break
            } catch {
                logger.error("restoring runs failed; retrying", metadata: [LogKey.error: "\(error)"])
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            }
        }
        state.withLock { state in
            for partition in partitions {
                state.partitions[partition] = PartitionState(runsPartition: runsPartition(for: partition))
            }
        }
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
        state.withLock { state in
            for partition in revoked {
                guard let p = state.partitions[partition] else { continue }
                p.closing = true
                for lane in p.lanes.values {
                    lane.queue = []
                    lane.head = 0
                }
            }
        }
        if !(await waitUntilSettled(revoked, timeout: configuration.drainTimeout)) {
            let cancelled = state.withLock { state in
                revoked.flatMap { state.partitions[$0]?.tasks.values.map { $0 } ?? [] }
            }
            logger.warning("runs still in flight at the drain deadline are cancelled; their events will run again",
                           metadata: ["runs": "\(cancelled.count)", "partitions": "\(partitions.sorted())"])
            for task in cancelled { task.cancel() }
            _ = await waitUntilSettled(revoked, timeout: .seconds(5))
        }
        let released = state.withLock { state -> Int in
            var released = 0
            for partition in revoked {
                if let removed = state.partitions.removeValue(forKey: partition) { released += removed.tracker.unfinishedCount }
            }
            let kept = Set(state.partitions.values.map(\.runsPartition))
            history.forget(runsPartitions: Set(revoked.map(runsPartition(for:))).subtracting(kept))
            return released
        }
        if released > 0 { intake.release(released) }
    }

    /// Prepares partitions to be read again from `offsets` (a rewind): their runs in flight finish,
    /// their history is restored afresh, and records fetched before the seek are passed over. The
    /// caller then seeks the consumer.
    func rewind(_ offsets: [KafkaTopicPartition: Int64]) async {
        let partitions = Array(offsets.keys)
        let last = state.withLock { state in partitions.reduce(into: [KafkaTopicPartition: Int64]()) { $0[$1] = state.partitions[$1]?.lastOffset } }
        await revoke(partitions)
        await assign(partitions)
        state.withLock { state in
            for (partition, offset) in offsets {
                state.partitions[partition]?.rewind = (offset, last[partition] ?? Int64.max)
            }
        }
    }

    /// Drains every partition (shutdown): no new record is taken from now on.
    func drainAll() async {
        let all = state.withLock { state in
            state.stopped = true
            return Array(state.partitions.keys)
        }
        await revoke(all)
    }

    private func waitUntilSettled(_ partitions: Set<KafkaTopicPartition>, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let busy = state.withLock { state in
                partitions.contains { (state.partitions[$0]?.unsettled ?? 0) > 0 || !(state.partitions[$0]?.tasks.isEmpty ?? true) }
            }
            if !busy { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The partitions this runner holds now (restored and accepting records).
    var assigned: Set<KafkaTopicPartition> {
        state.withLock { Set($0.partitions.filter { !$0.value.closing }.keys) }
    }

    /// The next offset to commit of every assigned partition whose position is known.
    var positions: [KafkaTopicPartition: Int64] {
        state.withLock { state in state.partitions.compactMapValues(\.nextOffset) }
    }

    // MARK: Dispatch

    /// Takes one record: dead-letters it if it is not an event, otherwise starts a run for each
    /// matching job that has not finished on it before. Suspends while too many events are unfinished.
    func dispatch(_ message: KafkaMessage) async {
        await intake.acquire()
        let partition = message.topicPartition
        let runsPartition = runsPartition(for: partition)
        var works: [Work] = []
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
                works.append(Work(job: job, event: event, message: message, runKey: runKey, runsPartition: runsPartition,
                                  restored: restored))
            }
        } catch {
            unreadable = error.reason
        }
        let accepted = state.withLock { state -> Bool in
            guard !state.stopped, let p = state.partitions[partition], !p.closing, message.offset > p.lastOffset else {
                return false
            }
            if let rewind = p.rewind {
                guard message.offset >= rewind.from, rewind.from > rewind.before || message.offset <= rewind.before else { return false }
                p.rewind = nil
            }
            p.lastOffset = message.offset
            p.tracker.add(message.offset)
            if p.nextOffset == nil { p.nextOffset = message.offset }
            let count = works.count + (unreadable == nil ? 0 : 1)
            if count > 0 { p.remaining[message.offset] = count }
            return true
        }
        guard accepted else {
            intake.release()
            return
        }
        if let unreadable {
            metrics.countUnreadable()
            logger.warning("not a CloudEvent; dead-lettered", metadata: [
                LogKey.topic: "\(message.topic)", LogKey.partition: "\(message.partition)",
                LogKey.offset: "\(message.offset)", LogKey.error: "\(unreadable)"])
            spawn(partition) { [self] in
                let letter = DLQRecord(original: WireRecord(message), reason: unreadable)
                do {
                    try await writer.write(KafkaProducerMessage(topic: configuration.deadLetterTopic, record: letter.record()))
                    settle(partition, message.offset, finished: true, started: false)
                } catch {
                    settle(partition, message.offset, finished: false, started: false)
                }
            }
            return
        }
        if works.isEmpty {
            finish(partition, message.offset)
            return
        }
        for work in works {
            if work.job.concurrentRuns {
                spawn(partition) { [self] in
                    guard begin(partition) else { return }
                    await execute(work)
                }
            } else {
                enqueue(work)
            }
        }
    }

    private func enqueue(_ work: Work) {
        let startWorker = state.withLock { state -> Bool in
            guard let p = state.partitions[work.partition] else { return false }
            let lane: Lane
            if let existing = p.lanes[work.job.id] {
                lane = existing
            } else {
                lane = Lane()
                p.lanes[work.job.id] = lane
            }
            lane.queue.append(work)
            let start = !lane.busy
            if start { lane.busy = true }
            return start
        }
        guard startWorker else { return }
        spawn(work.partition) { [self] in
            while let next = nextInLane(work.partition, job: work.job.id) {
                await execute(next)
            }
        }
    }

    /// Takes the lane's next run (counting it as started), or ends the lane's worker.
    private func nextInLane(_ partition: KafkaTopicPartition, job: String) -> Work? {
        state.withLock { state -> Work? in
            guard let p = state.partitions[partition], let lane = p.lanes[job] else { return nil }
            guard !p.closing, lane.head < lane.queue.count else {
                lane.busy = false
                lane.queue = []
                lane.head = 0
                return nil
            }
            let work = lane.queue[lane.head]
            lane.head += 1
            if lane.head > 256 && lane.head * 2 > lane.queue.count {
                lane.queue.removeFirst(lane.head)
                lane.head = 0
            }
            p.unsettled += 1
            return work
        }
    }

    /// Counts a concurrent run as started, unless its partition is closing.
    private func begin(_ partition: KafkaTopicPartition) -> Bool {
        state.withLock { state in
            guard state.partitions[partition]?.closing == false else { return false }
            state.partitions[partition]!.unsettled += 1  // a class: in place
            return true
        }
    }

    private func spawn(_ partition: KafkaTopicPartition, _ body: @escaping @Sendable () async -> Void) {
        state.withLock { current in
            guard current.partitions[partition] != nil else { return }
            let id = current.nextTaskId
            current.nextTaskId += 1
            current.partitions[partition]!.tasks[id] = Task { [self] in
                await body()
                _ = self.state.withLock { $0.partitions[partition]?.tasks.removeValue(forKey: id) }
            }
        }
    }

    /// A started run (or dead letter) is over: its event finishes if it was its last.
    private func settle(_ partition: KafkaTopicPartition, _ offset: Int64, finished: Bool, started: Bool = true) {
        let (done, releaseEvent) = state.withLock { state -> (Int64?, Bool) in
            guard let p = state.partitions[partition] else { return (nil, false) }
            if started { p.unsettled -= 1 }
            guard finished, let left = p.remaining[offset] else { return (nil, false) }
            if left > 1 {
                p.remaining[offset] = left - 1
                return (nil, false)
            }
            p.remaining[offset] = nil
            let done = p.tracker.finish(offset)
            if let done { p.nextOffset = done + 1 }
            return (done, true)
        }
        if releaseEvent { intake.release() }
        if let done { markDone(partition, done) }
    }

    /// An event with nothing to run is finished at once.
    private func finish(_ partition: KafkaTopicPartition, _ offset: Int64) {
        let done = state.withLock { state -> Int64? in
            guard state.partitions[partition] != nil else { return nil }
            let done = state.partitions[partition]!.tracker.finish(offset)
            if let done { state.partitions[partition]!.nextOffset = done + 1 }
            return done
        }
        intake.release()
        if let done { markDone(partition, done) }
    }

    // MARK: Running

    private func runMessage(_ record: RunRecord, _ work: Work) throws -> KafkaProducerMessage {
        KafkaProducerMessage(topic: configuration.runsTopic, partition: work.runsPartition, record: try record.record())
    }

    /// Runs a job on an event until it succeeds or its attempts are exhausted (then dead-letters the
    /// event); settles the run once its final record is durable.
    private func execute(_ work: Work) async {
        let job = work.job
        let event = work.event
        let firstAttempt = (work.restored?.attempt ?? 0) + 1
        let lastAttempt = max(job.retry.limit, firstAttempt)
        let writer = writer
        let runsTopic = configuration.runsTopic
        let runsPartition = work.runsPartition
        let store = RunTaskStore(restored: work.restored?.tasks ?? []) { record in
            try await writer.write(KafkaProducerMessage(topic: runsTopic, partition: runsPartition, record: try record.record()))
        }
        let properties = job.job.runProperties(for: event)
        // The same event delivered twice in a row (a provider retrying, a replayed batch): the copy
        // waited in this lane behind the first and finds its run finished now. Run nothing again.
        if case .finished = history.lookup(work.runKey, runsPartition: runsPartition) {
            metrics.count(job: job.id, .skipped)
            logger.debug("run finished meanwhile; duplicate skipped", metadata: [LogKey.jobId: "\(job.id)", LogKey.eventKey: "\(event.key)"])
            return settle(work.partition, work.message.offset, finished: true)
        }
        var attempt = firstAttempt
        var metadata: Logger.Metadata = [LogKey.jobId: "\(job.id)", LogKey.eventKey: "\(event.key)",
                                         LogKey.eventName: "\(event.name)"]
        while true {
            await permits.acquire()
            if Task.isCancelled {
                permits.release()
                return settle(work.partition, work.message.offset, finished: false)
            }
            let context = RunContext(job: job.job, event: event, attempt: attempt)
            metadata[LogKey.runId] = "\(context.runId)"
            metadata[LogKey.attempt] = "\(attempt)"
            let io = IO(runId: context.runId, attempt: attempt, store: store, print: configuration.printRunLogs)
            let clock = ContinuousClock.now
            var record = RunRecord(starting: context, event: event, properties: properties, at: Date())
            record.tasks = store.all
            store.begin(record, log: io.log)
            if let message = try? runMessage(record, work) { writer.enqueue(message) { _ in } }
            let failure: (any Error)?
            do {
                try await job.job.run(event, io: io, context: context)
                failure = nil
            } catch {
                failure = error
            }
            permits.release()
            metrics.recordDuration(job: job.id, ContinuousClock.now - clock)
            record.tasks = store.all
            record.finishedAt = Date()

            guard let failure else {
                record.status = .succeeded
                record.logs = io.log.lines
                metrics.count(job: job.id, .succeeded)
                history.finish(work.runKey, runsPartition: runsPartition)
                return persistFinal(record, work)
            }
            if Task.isCancelled {
                logger.info("run cancelled; its event will run again", metadata: metadata)
                return settle(work.partition, work.message.offset, finished: false)
            }
            record.status = .failed
            record.error = "\(failure)"
            let retriable = !(failure is PayloadError)
            if retriable && attempt < lastAttempt {
                let delay = job.retry.delay(afterAttempt: min(attempt, max(job.retry.limit - 1, 1))) ?? job.retry.minTimeout
                record.logs = io.log.lines
                if let message = try? runMessage(record, work) { writer.enqueue(message) { _ in } }
                metrics.count(job: job.id, .retried)
                var retryMetadata = metadata
                retryMetadata[LogKey.error] = "\(failure)"
                retryMetadata["delay"] = "\(delay)"
                logger.warning("run failed; retrying", metadata: retryMetadata)
                do { try await Task.sleep(for: delay) } catch {
                    return settle(work.partition, work.message.offset, finished: false)
                }
                attempt += 1
                continue
            }
            // Out of attempts: the event goes to the dead-letter topic first, then the run is failed for good.
            let letter = DLQRecord(original: WireRecord(work.message), reason: "\(failure)", jobId: job.id,
                                   runId: context.runId, attempts: attempt)
            do {
                try await writer.write(KafkaProducerMessage(topic: configuration.deadLetterTopic, record: letter.record()))
            } catch {
                return settle(work.partition, work.message.offset, finished: false)
            }
            io.logger.error("\(RunRecord.deadLetteredMessage)", metadata: [
                LogKey.error: "\(failure)", LogKey.topic: "\(configuration.deadLetterTopic)"])
            record.status = .deadLettered
            record.logs = io.log.lines
            metrics.count(job: job.id, .deadLettered)
            history.finish(work.runKey, runsPartition: runsPartition)
            return persistFinal(record, work)
        }
    }

    private func persistFinal(_ record: RunRecord, _ work: Work) {
        do {
            writer.enqueue(try runMessage(record, work)) { [self] result in
                settle(work.partition, work.message.offset, finished: (try? result.get()) != nil)
            }
        } catch {
            logger.error("run record could not be encoded", metadata: [LogKey.runId: "\(record.runId)", LogKey.error: "\(error)"])
            settle(work.partition, work.message.offset, finished: false)
        }
    }
}
