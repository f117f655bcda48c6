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
///
/// Waiting runs hold no offset: a run that suspends settles its event, and the dispatcher keeps it
/// in ``WaitTimers`` until its wait ends (by time, by a matching event written to `<p>.waits` by
/// whichever runner took it, or by a cancellation), then resumes it beside the lanes. The owner
/// of a `<p>.runs` partition is the only one that resumes its runs; after a rebalance the new
/// owner restores them from `<p>.runs`. Every event taken is also matched against the open event
/// waits of the job's runs (``PendingWaits``), and a new wait looks back over the partitions held
/// (``LookbackScanner``), so a matching event that came just before the wait is not missed.
final class RunDispatcher: Sendable {
    /// One run to make: a job and an event, where it came from, and what earlier attempts left.
    struct Work: Sendable {
        /// What the work is (indirect: the cases with a payload are rare, and a trivial run's `Work`,
        /// held for each event read ahead, stays small).
        indirect enum Kind: Sendable {
            /// A run of a received event.
            case run
            /// A waiting (or interrupted) run resumed from `<p>.runs`; `removeWait` is the
            /// `<p>.waits` key to remove once the resumption is durable.
            case resume(removeWait: String?)
            /// Tells the runs whose event waits a received event ends (writes the matches).
            case deliver([WaitRecord])
            /// Routes a flow-controlled job's event to its key's `<p>.flow` partition.
            case forward(KafkaProducerMessage)
            /// Waits for the record of what flow control did with an event (a hold or a skip), which
            /// was handed to the writer when it was decided (so the records of one event stay in order).
            case flowRecord(PendingWrite)
        }

        /// The fields, in one box shared by copies until one of them changes (copy on write): a
        /// `Work` moves through the lanes, the attempts and their closures, and copying its fields
        /// one by one (about twenty references) was a tenth of a trivial run's CPU.
        private final class Fields: Sendable {
            let values: Values
            init(_ values: Values) { self.values = values }
        }

        /// The fields as values.
        private struct Values: Sendable {
            var job: RunnerJob
            var event: EventRecord
            var message: KafkaMessage?
            var partition: KafkaTopicPartition
            var runKey: String
            var runsPartition: Int32
            /// In its own box: an entry is 232 bytes, and most runs have none.
            var restored: Restored?
            var kind: Kind
            var flowKey: String?
            var idempotencyKey: String?
        }

        /// What an earlier attempt left (see `restored`), boxed.
        private final class Restored: Sendable {
            let entry: RunHistory.Entry
            init(_ entry: RunHistory.Entry) { self.entry = entry }
        }

        /// Changes one field in a fresh box (the old one may be shared).
        private mutating func change(_ body: (inout Values) -> Void) {
            var values = fields.values
            body(&values)
            fields = Fields(values)
        }

        private var fields: Fields

        /// A run (or other work) of `job` on `event`.
        init(
            job: RunnerJob, event: EventRecord, message: KafkaMessage?, partition: KafkaTopicPartition, runKey: String,
            runsPartition: Int32, restored: RunHistory.Entry? = nil, kind: Kind = .run, flowKey: String? = nil,
            idempotencyKey: String? = nil
        ) {
            fields = Fields(
                Values(
                    job: job, event: event, message: message, partition: partition, runKey: runKey, runsPartition: runsPartition,
                    restored: restored.map(Restored.init), kind: kind, flowKey: flowKey, idempotencyKey: idempotencyKey))
        }

        var job: RunnerJob {
            get { fields.values.job }
            set { change { $0.job = newValue } }
        }
        var event: EventRecord {
            get { fields.values.event }
            set { change { $0.event = newValue } }
        }
        /// The received record (nil for a resumption).
        var message: KafkaMessage? {
            get { fields.values.message }
            set { change { $0.message = newValue } }
        }
        /// The partition the work counts against (drained on revocation).
        var partition: KafkaTopicPartition {
            get { fields.values.partition }
            set { change { $0.partition = newValue } }
        }
        var runKey: String {
            get { fields.values.runKey }
            set { change { $0.runKey = newValue } }
        }
        var runsPartition: Int32 {
            get { fields.values.runsPartition }
            set { change { $0.runsPartition = newValue } }
        }
        /// Where the run's records go on `<p>.runs`.
        var runSlot: RecordWriter.RunSlot { RecordWriter.RunSlot(partition: runsPartition, key: runKey) }
        var restored: RunHistory.Entry? {
            get { fields.values.restored?.entry }
            set { change { $0.restored = newValue.map(Restored.init) } }
        }
        var kind: Kind {
            get { fields.values.kind }
            set { change { $0.kind = newValue } }
        }
        /// The flow-control key of a flow-controlled run (it holds a slot of its key's gate while it runs).
        var flowKey: String? {
            get { fields.values.flowKey }
            set { change { $0.flowKey = newValue } }
        }
        /// The idempotency key of a run of a job with idempotency.
        var idempotencyKey: String? {
            get { fields.values.idempotencyKey }
            set { change { $0.idempotencyKey = newValue } }
        }

        /// Whether this resumes a run that has waited.
        var isResume: Bool {
            if case .resume = kind { return true }
            return false
        }
    }

    /// A run waiting for its wait to end: what resumes it.
    private struct Waiting: Sendable {
        var work: Work
        var wait: RunRecord.Wait
    }

    typealias Machine = DispatchStateMachine<Work>

    private struct State {
        var machine = Machine()
        /// The task of each worker the machine counts, by worker id.
        var workers: [Int: Task<Void, Never>] = [:]
        /// Who waits in ``waitUntilSettled(_:timeout:)``, by waiter id, with the timer of its deadline.
        var waiters: [Int: (continuation: CheckedContinuation<Bool, Never>, timer: Task<Void, Never>?)] = [:]
        /// When each waiting run is due.
        var timers = WaitTimers()
        /// The waiting runs of the `<p>.runs` partitions held, by run key.
        var waiting: [String: Waiting] = [:]
        /// The cancellation handles of the runs executing, by run key.
        var running: [String: RunCancellation] = [:]
        /// Cancellations asked for runs not started yet (queued in a lane), by run key.
        var pendingCancels: [String: String] = [:]
        /// The task resuming due runs.
        var timerTask: Task<Void, Never>?
        /// The flow-control gate of each `<p>.flow` partition held (flow-controlled jobs only).
        var gates: [Int32: FlowGate<Work>] = [:]

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
    private let waits: WaitDirectory
    private let scanner: LookbackScanner
    private let timerSignal = Wakeup()

    /// A dispatcher for `jobs` (one job per subscription); `permits` caps runs across the whole
    /// runner; `waits` is the runner's view of `<p>.waits`; `events` publishes `io.sendEvent`'s events.
    init(
        jobs: [RunnerJob], configuration: RunnerConfiguration, runsPartitionCount: Int32, writer: RecordWriter,
        history: RunHistory, metrics: RunnerMetrics, permits: RunPermits, waits: WaitDirectory, events: any EventPublisher,
        logger: Logger, markDone: @escaping @Sendable (KafkaTopicPartition, Int64) -> Void
    ) {
        self.jobs = jobs
        self.configuration = configuration
        self.runsPartitionCount = runsPartitionCount
        self.writer = writer
        self.history = history
        self.metrics = metrics
        self.intake = RunPermits(configuration.maxPendingEvents)
        let attempts = RunAttempts(
            configuration: configuration, writer: writer, history: history, metrics: metrics,
            permits: permits, events: events, logger: logger)
        self.attempts = attempts
        self.logger = logger
        self.markDone = markDone
        self.waits = waits
        self.scanner = LookbackScanner(
            configuration: configuration.kafka, logger: logger,
            deliver: { record in try await writer.write(try attempts.waitMessage(record)) })
    }

    /// The `<p>.runs` partition of an event partition: the same number for `<p>.events`; for other
    /// systems' topics, the number modulo the runs topic's partition count.
    func runsPartition(for partition: KafkaTopicPartition) -> Int32 {
        partition.topic == configuration.eventsTopic || partition.topic == configuration.flowTopic
            ? partition.partition : partition.partition % runsPartitionCount
    }

    // MARK: Rebalancing

    /// Restores what the runs of newly assigned partitions left, then accepts their records.
    /// `gates` (a rewind's) are installed with the partitions, so no record passes before them.
    func assign(_ partitions: [KafkaTopicPartition], gates: [KafkaTopicPartition: Machine.RewindGate] = [:]) async {
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
        state.withLock { state in
            state.machine.assigned(runsPartitions)
            state.machine.rewound(gates)
        }
        restoreWaiting(runsPartitions)
        // Waits opened just before this runner took these partitions look back over them again:
        // their previous owner may have stopped before it looked.
        let recent = waits.registrations(jobIds: Set(jobs.map(\.id)), since: Date().addingTimeInterval(-600))
        if !recent.isEmpty { scanner.enqueue(recent, partitions: Array(runsPartitions.keys)) }
    }

    // MARK: Waiting runs

    /// Takes over the waiting and interrupted runs of newly held `<p>.runs` partitions: resumes
    /// those whose wait has ended (or whose resumption was interrupted), schedules the others.
    private func restoreWaiting(_ runsPartitions: [KafkaTopicPartition: Int32]) {
        var byRunsPartition: [Int32: KafkaTopicPartition] = [:]
        for (partition, runs) in runsPartitions.sorted(by: { $0.key < $1.key }) where byRunsPartition[runs] == nil {
            byRunsPartition[runs] = partition
        }
        // A flow-controlled job's runs count against its `<p>.flow` partitions, whose gates decide them.
        let flowPartitions = Set(runsPartitions.keys.filter { $0.topic == configuration.flowTopic }.map(\.partition))
        for (partition, runs) in runsPartitions where partition.topic == configuration.flowTopic { byRunsPartition[runs] = partition }
        guard let job = jobs.first else { return }
        var restored = 0
        var released: [(Int32, FlowGate<Work>.Action)] = []
        if let flow = job.job.flow {
            // The limits' windows as the partition's run records tell them.
            let now = Date()
            let horizon = max(
                flow.rateLimit?.period.seconds ?? 0, flow.throttle?.period.seconds ?? 0, flow.idempotency?.window.seconds ?? 0)
            for runsPartition in flowPartitions {
                var gate = FlowGate<Work>(flow: flow)
                for start in history.flowStarts(runsPartition: runsPartition) where now.timeIntervalSince(start.at) < horizon {
                    gate.restoreStart(key: start.key, at: start.at)
                    if let idem = start.idempotencyKey { gate.restoreSeen(idem, at: start.at) }
                }
                state.withLock { $0.gates[runsPartition] = gate }
            }
        }
        for (runsPartition, partition) in byRunsPartition {
            for (key, entry) in history.resumables(runsPartition: runsPartition) {
                guard let event = entry.event else { continue }
                restored += 1
                var work = Work(
                    job: job, event: event, message: nil, partition: partition, runKey: key, runsPartition: runsPartition,
                    restored: entry, kind: .resume(removeWait: nil), flowKey: entry.flowKey)
                if entry.status == .waiting, entry.wait?.task == RunRecord.flowHoldTask, let wait = entry.wait, let flowKey = entry.flowKey
                {
                    // A flow-control hold goes back into the gate (queued ones in the order they were held).
                    work.restored?.status = .started
                    let actions = state.withLock { state -> [FlowGate<Work>.Action] in
                        guard state.gates[runsPartition] != nil else { return [] }
                        return state.gates[runsPartition]!.restoreHeld(
                            work, key: flowKey, until: wait.until == .distantFuture ? nil : wait.until, now: Date())
                    }
                    released += actions.map { (runsPartition, $0) }
                    continue
                }
                guard entry.status == .waiting, let wait = entry.wait else {
                    if let flowKey = entry.flowKey, state.withLock({ $0.gates[runsPartition] != nil }) {
                        // A gated run its runner died in: it takes a slot of its key again (or queues).
                        let actions = state.withLock { state in
                            state.gates[runsPartition]!.restoreHeld(work, key: flowKey, until: nil, now: Date())
                        }
                        released += actions.map { (runsPartition, $0) }
                        continue
                    }
                    // Its runner died while it ran after a wait: it continues at once.
                    work.flowKey = nil
                    spawnResume(work)
                    continue
                }
                // A run waiting at `io.wait` or `waitForEvent` holds no slot of its key; resumed, it
                // runs beside the key's gated runs.
                work.flowKey = nil
                let waiting = Waiting(work: work, wait: wait)
                let requests = [WaitRecord.cancelRequestTask, WaitRecord.cancelTask].compactMap {
                    waits[WaitRecord.key(runKey: key, task: $0)]
                }
                if let request = requests.first(where: { $0.kind != .registration }) {
                    cancelWaiting(waiting, reason: Self.reason(request))
                    continue
                }
                let waitKey = WaitRecord.key(runKey: key, task: wait.task)
                if let match = waits[waitKey], match.kind == .match, let matched = match.event {
                    resumeMatched(waiting, by: matched, key: waitKey)
                    continue
                }
                if let events = wait.events, waits[waitKey] == nil {
                    // Its registration was lost (its runner stopped between the two writes): written again.
                    let registration = WaitRecord(
                        kind: .registration, jobId: job.id, runKey: key, runId: RunContext.runId(eventKey: event.key, jobId: job.id),
                        task: wait.task, runsPartition: runsPartition, wait: events)
                    if let message = try? attempts.waitMessage(registration) { writer.enqueue(message) { _ in } }
                }
                schedule(waiting)
            }
        }
        if restored > 0 {
            logger.info("waiting runs restored", metadata: [LogKey.jobId: "\(history.jobId)", "runs": "\(restored)"])
        }
        carryOut(released, current: nil)
        if state.withLock({ !$0.gates.isEmpty && $0.timerTask == nil }) { startTimers() }
        timerSignal.signal()
    }

    /// Keeps a waiting run until its wait ends; wakes the timer task when it is the earliest.
    private func schedule(_ waiting: Waiting) {
        state.withLock { state in state.waiting[waiting.work.runKey] = waiting }
        scheduleTimer(waiting.work.runKey, at: waiting.wait.until)
    }

    /// A match or cancel request that reached `<p>.waits` while the run was still suspending (not
    /// yet in `waiting`) ends its wait now.
    private func settleFromDirectory(_ runKey: String, task: String) {
        let cancel = [WaitRecord.cancelRequestTask, WaitRecord.cancelTask].compactMap { waits[WaitRecord.key(runKey: runKey, task: $0)] }
            .first { $0.kind != .registration }
        let match = waits[WaitRecord.key(runKey: runKey, task: task)].flatMap { $0.kind == .match ? $0 : nil }
        guard let record = cancel ?? match else { return }
        waitChanged(record)
    }

    /// Sets the timer of a waiting run (already in `waiting`).
    private func scheduleTimer(_ runKey: String, at due: Date) {
        let (earliest, start) = state.withLock { state -> (Bool, Bool) in
            guard !state.machine.stopped, state.waiting[runKey] != nil else { return (false, false) }
            let earliest = state.timers.schedule(runKey, at: due)
            return (earliest, state.timerTask == nil)
        }
        if start { startTimers() }
        if earliest { timerSignal.signal() }
    }

    private func startTimers() {
        state.withLock { state in
            guard state.timerTask == nil, !state.machine.stopped else { return }
            state.timerTask = Task { [self] in await runTimers() }
        }
    }

    /// Resumes waiting runs as they fall due, sleeping until the earliest (woken when an earlier
    /// one is scheduled) until the dispatcher stops.
    private func runTimers() async {
        while !Task.isCancelled {
            let (due, next, released) = state.withLock { state -> ([Waiting], Date?, [(Int32, FlowGate<Work>.Action)]) in
                let now = Date()
                let keys = state.timers.popDue(now: now)
                let due = keys.compactMap { state.waiting.removeValue(forKey: $0) }
                var released: [(Int32, FlowGate<Work>.Action)] = []
                var next = state.timers.next
                for partition in state.gates.keys {
                    released += state.gates[partition]!.due(now: now).map { (partition, $0) }
                    if let gateNext = state.gates[partition]!.next { next = min(next ?? gateNext, gateNext) }
                }
                return (due, next, released)
            }
            carryOut(released, current: nil)
            for waiting in due {
                let removeWait = waiting.wait.events == nil ? nil : WaitRecord.key(runKey: waiting.work.runKey, task: waiting.wait.task)
                var work = waiting.work
                work.kind = .resume(removeWait: removeWait)
                spawnResume(work)
            }
            if Task.isCancelled { return }
            let pause = next.map { max(0, $0.timeIntervalSinceNow) } ?? 3600
            await timerSignal.wait(timeout: Duration(seconds: pause, rounding: .up) + .milliseconds(1))
        }
    }

    /// Resumes a waiting run whose event wait `key` was ended by `event`.
    private func resumeMatched(_ waiting: Waiting, by event: EventRecord, key: String) {
        var work = waiting.work
        guard var entry = work.restored, let index = entry.tasks.firstIndex(where: { $0.key == waiting.wait.task }) else { return }
        entry.tasks[index].status = .completed
        entry.tasks[index].output = try? IO.matchedOutput(event)
        entry.tasks[index].finishedAt = Date()
        work.restored = entry
        work.kind = .resume(removeWait: key)
        spawnResume(work)
    }

    /// Records a waiting run as cancelled (final) and removes its waits.
    private func cancelWaiting(_ waiting: Waiting, reason: String) {
        let work = waiting.work
        spawn(work.partition) { [self] in
            guard let entry = work.restored, let event = entry.event else { return }
            let context = RunContext(job: work.job.job, event: event, attempt: entry.attempt)
            var record = RunRecord(starting: context, event: event, properties: work.job.job.runProperties(for: event))
            record.status = .cancelled
            record.reason = reason
            record.event = event
            record.tasks = entry.tasks
            record.finishedAt = Date()
            do {
                try await writer.write(
                    KafkaProducerMessage(topic: configuration.runsTopic, partition: work.runsPartition, record: try record.record()))
            } catch {
                logger.warning("recording a cancelled run failed", metadata: [LogKey.runId: "\(record.runId)", LogKey.error: "\(error)"])
                return
            }
            history.finish(work.runKey, runsPartition: work.runsPartition)
            metrics.count(job: work.job.id, .cancelled)
            logger.notice("waiting run cancelled", metadata: [LogKey.runId: "\(record.runId)", "reason": "\(reason)"])
            attempts.removeWait(runKey: work.runKey, task: waiting.wait.task, runsPartition: work.runsPartition)
            attempts.removeWait(runKey: work.runKey, task: WaitRecord.cancelTask, runsPartition: work.runsPartition)
            attempts.removeWait(runKey: work.runKey, task: WaitRecord.cancelRequestTask, runsPartition: work.runsPartition)
        }
    }

    private static func reason(_ record: WaitRecord) -> String {
        if record.kind == .match, let event = record.event { return "cancelled by event \(event.name) \(event.id)" }
        return record.reason ?? "cancelled"
    }

    /// A `<p>.waits` record of this dispatcher's job changed: a new wait looks back over the
    /// partitions held; a match or cancel request for a run of a held `<p>.runs` partition resumes
    /// or cancels it.
    func waitChanged(_ record: WaitRecord) {
        if record.kind == .registration {
            let held = Array(assigned)
            if !held.isEmpty { scanner.enqueue([record], partitions: held) }
            return
        }
        enum Action {
            case cancelWaiting(Waiting)
            case cancelRunning(RunCancellation)
            case resume(Waiting, EventRecord)
            case none
        }
        let reason = Self.reason(record)
        let action = state.withLock { state -> Action in
            guard state.machine.accepting.contains(where: { runsPartition(for: $0) == record.runsPartition }) else { return .none }
            let cancels = record.kind == .cancel || record.task == WaitRecord.cancelTask || record.task == WaitRecord.cancelRequestTask
            if cancels {
                if let waiting = state.waiting.removeValue(forKey: record.runKey) {
                    state.timers.remove(record.runKey)
                    return .cancelWaiting(waiting)
                }
                if let running = state.running[record.runKey] { return .cancelRunning(running) }
                state.pendingCancels[record.runKey] = reason
                return .none
            }
            guard let waiting = state.waiting[record.runKey], waiting.wait.task == record.task, let event = record.event else {
                return .none
            }
            state.waiting[record.runKey] = nil
            state.timers.remove(record.runKey)
            return .resume(waiting, event)
        }
        switch action {
        case .cancelWaiting(let waiting): cancelWaiting(waiting, reason: reason)
        case .cancelRunning(let running): running.cancel(reason: reason)
        case .resume(let waiting, let event): resumeMatched(waiting, by: event, key: record.key)
        case .none: break
        }
    }

    /// How many runs wait in this dispatcher.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Starts a resumption as a worker of its partition (or of another held partition of its
    /// `<p>.runs` partition).
    private func spawnResume(_ work: Work) {
        var work = work
        let held = state.withLock { state in state.machine.accepting.filter { runsPartition(for: $0) == work.runsPartition } }
        if !held.contains(work.partition), let other = held.min() { work.partition = other }
        metrics.count(job: work.job.id, .resumed)
        let resumed = work
        spawn(resumed.partition) { [self] in await run(resumed) }
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
            for (key, waiting) in state.waiting where removed.forgetRunsPartitions.contains(waiting.work.runsPartition) {
                state.waiting[key] = nil
                state.timers.remove(key)
            }
            for partition in revoked where partition.topic == configuration.flowTopic { state.gates[partition.partition] = nil }
            if state.machine.accepting.isEmpty { state.pendingCancels = [:] }
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
        await assign(partitions, gates: gates)
    }

    /// Drains every partition (shutdown): no new record is taken and no waiting run resumed from now on.
    func drainAll() async {
        let (partitions, timers) = state.withLock { state in
            defer { state.timerTask = nil }
            return (state.machine.stopping(), state.timerTask)
        }
        timers?.cancel()
        scanner.stop()
        await revoke(partitions)
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

    // MARK: Flow control

    /// The header naming the job a `<p>.flow` record is for.
    static let flowJobHeader = "tributary_flow_job"
    /// The header carrying a `<p>.flow` record's flow key.
    static let flowKeyHeader = "tributary_flow_key"
    /// The header carrying when the event arrived on `<p>.events` (milliseconds since 1970).
    static let flowArrivedHeader = "tributary_flow_arrived"

    /// A flow-controlled job's record: from `<p>.events` (or `RUNNER_TOPICS`) it is routed to its
    /// key's `<p>.flow` partition; from `<p>.flow` it goes through the partition's ``FlowGate``.
    /// Returns the runs of this record and the gate's actions for other (held) events.
    private func flowStage(
        _ job: RunnerJob, flow: FlowControl, event: EventRecord, message: KafkaMessage, onlyJob: String?
    ) -> ([Machine.Run], [(Int32, FlowGate<Work>.Action)]) {
        let partition = message.topicPartition
        guard partition.topic == configuration.flowTopic else {
            guard (onlyJob == nil || onlyJob == job.id) && job.job.matches(event) else { return ([], []) }
            let key = flow.key(of: event)
            let routingKey = "\(job.id)/\(key)"
            var headers = message.headers
            headers.append(KafkaHeader(name: Self.flowJobHeader, value: Array(job.id.utf8)))
            headers.append(KafkaHeader(name: Self.flowKeyHeader, value: Array(key.utf8)))
            let arrived = Int64(((message.timestamp ?? Date()).timeIntervalSince1970 * 1000).rounded())
            headers.append(KafkaHeader(name: Self.flowArrivedHeader, value: Array("\(arrived)".utf8)))
            let routed = KafkaProducerMessage(
                topic: configuration.flowTopic, partition: Self.flowPartition(routingKey, count: runsPartitionCount),
                key: Array(routingKey.utf8), value: message.value, headers: headers)
            let work = Work(
                job: job, event: event, message: message, partition: partition, runKey: "", runsPartition: runsPartition(for: partition),
                kind: .forward(routed))
            return ([.concurrent(work)], [])
        }
        guard message.headers.first(named: Self.flowJobHeader)?.stringValue == job.id else { return ([], []) }
        let key = message.headers.first(named: Self.flowKeyHeader)?.stringValue ?? flow.key(of: event)
        let runsPartition = runsPartition(for: partition)
        let runKey = RunRecord.key(eventKey: event.key, jobId: job.id)
        var restored: RunHistory.Entry?
        switch history.lookup(runKey, runsPartition: runsPartition) {
        case .finished, .resumable:
            metrics.count(job: job.id, .skipped)
            return ([], [])
        case .unfinished(let entry):
            restored = entry
        case .unknown:
            break
        }
        let work = Work(
            job: job, event: event, message: message, partition: partition, runKey: runKey, runsPartition: runsPartition,
            restored: restored, flowKey: key, idempotencyKey: flow.idempotency.flatMap { $0.key.extract(event) })
        let actions = state.withLock { state -> [FlowGate<Work>.Action] in
            var gate = state.gates[runsPartition] ?? FlowGate(flow: flow)
            defer { state.gates[runsPartition] = gate }
            let arrived = message.headers.first(named: Self.flowArrivedHeader)?.stringValue.flatMap(Double.init)
                .map { Date(timeIntervalSince1970: $0 / 1000) }
            return gate.received(
                work, key: key, idempotencyKey: work.idempotencyKey, now: Date(), arrivedAt: arrived ?? message.timestamp)
        }
        var attached: [Machine.Run] = []
        var detached: [(Int32, FlowGate<Work>.Action)] = []
        for action in actions {
            if let run = attach(action, current: work) { attached.append(run) } else { detached.append((runsPartition, action)) }
        }
        // Only a hold with a time needs the timer task (to release it when due).
        let timed = actions.contains { if case .hold(_, let until?, _) = $0 { return until < .distantFuture } else { return false } }
        if timed {
            if state.withLock({ $0.timerTask == nil }) { startTimers() }
            timerSignal.signal()
        }
        return (attached, detached)
    }

    /// A `<p>.flow` partition of a routing key: FNV-1a, the same in every runner and every version.
    static func flowPartition(_ key: String, count: Int32) -> Int32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int32(hash % UInt64(max(count, 1)))
    }

    /// The run of the current record an action makes, if the action concerns the current record.
    private func attach(_ action: FlowGate<Work>.Action, current: Work) -> Machine.Run? {
        switch action {
        case .start(let item) where item.message?.offset == current.message?.offset && item.runKey == current.runKey:
            return .concurrent(item)
        case .startBatch(let items) where items.contains { $0.runKey == current.runKey }:
            var batch = batchWork(items)
            batch.message = current.message
            batch.partition = current.partition
            return .concurrent(batch)
        case .skip(let item, let reason) where item.runKey == current.runKey:
            var work = item
            work.kind = .flowRecord(record(item, status: .skipped, reason: reason))
            return .concurrent(work)
        case .hold(let item, let until, let reason) where item.runKey == current.runKey:
            var work = item
            work.kind = .flowRecord(record(item, status: .waiting, reason: reason, until: until ?? .distantFuture))
            return .concurrent(work)
        default:
            return nil
        }
    }

    /// Hands the record of a flow-control decision to the writer now, in decision order, and notes
    /// it in the history (a skip is final, a hold resumable).
    private func record(_ item: Work, status: RunRecord.Status, reason: String, until: Date? = nil) -> PendingWrite {
        let pending = PendingWrite()
        let record = flowRecord(item, status: status, reason: reason, until: until)
        if status.isFinal {
            history.finish(item.runKey, runsPartition: item.runsPartition)
            metrics.count(job: item.job.id, .flowSkipped)
        } else {
            history.suspend(item.runKey, runsPartition: item.runsPartition)
            metrics.count(job: item.job.id, .flowHeld)
        }
        do {
            writer.enqueue(
                KafkaProducerMessage(topic: configuration.runsTopic, partition: item.runsPartition, record: try record.record())
            ) { result in pending.complete((try? result.get()) != nil) }
        } catch {
            pending.complete(false)
        }
        return pending
    }

    /// Carries out gate actions that concern earlier (held) events: they run, or are recorded, on
    /// their own, holding no offset.
    private func carryOut(_ actions: [(Int32, FlowGate<Work>.Action)], current: Work?) {
        for (_, action) in actions {
            var work: Work
            switch action {
            case .start(let item):
                work = item
                work.kind = .resume(removeWait: nil)
            case .startBatch(let items):
                work = batchWork(items)
            case .skip(let item, let reason):
                _ = record(item, status: .skipped, reason: reason)
                continue
            case .hold(let item, let until, let reason):
                _ = record(item, status: .waiting, reason: reason, until: until ?? .distantFuture)
                continue
            }
            work.message = nil
            let detached = work
            spawnDetached(detached)
        }
    }

    /// Starts detached work as a worker of a held partition of its `<p>.runs` partition.
    private func spawnDetached(_ work: Work) {
        var work = work
        let held = state.withLock { state in state.machine.accepting.filter { runsPartition(for: $0) == work.runsPartition } }
        if !held.contains(work.partition), let other = held.min() { work.partition = other }
        let detached = work
        spawn(detached.partition) { [self] in await run(detached) }
    }

    /// One run of a batch: the first event's run, its payload `{"batch": [payload, …]}`; the others folded in.
    private func batchWork(_ items: [Work]) -> Work {
        let runId = RunContext.runId(eventKey: items[0].event.key, jobId: items[0].job.id)
        for folded in items.dropFirst() { _ = record(folded, status: .skipped, reason: "batched into run \(runId)") }
        var first = items[0]
        var event = first.event
        event.payload = .object([BatchJob<JSON>.batchKey: .array(items.map(\.event.payload))])
        event.payloadBytes = nil
        first.event = event
        first.kind = .resume(removeWait: nil)
        return first
    }

    /// The record of what flow control did with an event: skipped (final) or held (waiting).
    private func flowRecord(_ item: Work, status: RunRecord.Status, reason: String, until: Date? = nil) -> RunRecord {
        let context = RunContext(job: item.job.job, event: item.event, attempt: item.restored?.attempt ?? 1)
        var record = RunRecord(starting: context, event: item.event, properties: item.job.job.runProperties(for: item.event))
        record.status = status
        record.reason = reason
        record.event = item.event
        record.flowKey = item.flowKey
        record.idempotencyKey = item.idempotencyKey
        record.tasks = item.restored?.tasks ?? []
        if let until { record.wait = RunRecord.Wait(task: RunRecord.flowHoldTask, until: until) }
        if status.isFinal { record.finishedAt = Date() }
        return record
    }

    /// A gated run of `key` ended: the next queued run of the key may start.
    private func flowFinished(_ key: String, partition: Int32) {
        let actions = state.withLock { state -> [(Int32, FlowGate<Work>.Action)] in
            guard state.gates[partition] != nil else { return [] }
            return state.gates[partition]!.finished(key: key, now: Date()).map { (partition, $0) }
        }
        carryOut(actions, current: nil)
    }

    // MARK: Dispatch

    /// Takes one record: dead-letters it if it is not an event, otherwise starts a run for each
    /// matching job that has not finished on it before. Suspends while too many events are unfinished.
    func dispatch(_ message: KafkaMessage) async {
        await intake.acquire()
        let partition = message.topicPartition
        let runsPartition = runsPartition(for: partition)
        var runs: [Machine.Run] = []
        var detachedFlow: [(Int32, FlowGate<Work>.Action)] = []
        var unreadable: String?
        // Counted once the record is taken: one read again after a seek (and refused) counts once.
        var skipped: [String] = []
        defer { carryOut(detachedFlow, current: nil) }
        do {
            let event = try CloudEvent.decode(WireRecord(message), receivedAt: message.timestamp ?? Date())
            // A replayed event (`tributary replay`) runs only the job whose run is replayed.
            let onlyJob = message.headers.first(named: Replay.jobHeader)?.stringValue
            if let job = jobs.first, let flow = job.job.flow {
                let (attached, detached) = flowStage(job, flow: flow, event: event, message: message, onlyJob: onlyJob)
                runs = attached
                detachedFlow = detached
            }
            for job in jobs where job.job.flow == nil && (onlyJob == nil || job.id == onlyJob) && job.job.matches(event) {
                let runKey = RunRecord.key(eventKey: event.key, jobId: job.id)
                var restored: RunHistory.Entry?
                switch history.lookup(runKey, runsPartition: runsPartition) {
                case .finished, .resumable:
                    skipped.append(job.id)
                    logger.debug("run finished before; skipped", metadata: [LogKey.jobId: "\(job.id)", LogKey.eventKey: "\(event.key)"])
                    continue
                case .unfinished(let entry):
                    restored = entry
                case .unknown:
                    restored = nil
                }
                let work = Work(
                    job: job, event: event, message: message, partition: partition, runKey: runKey, runsPartition: runsPartition,
                    restored: restored)
                runs.append(job.concurrentRuns ? .concurrent(work) : .lane(job.id, work))
            }
            // The event may end waits of the job's runs on any partition: the matches are written
            // (durably, before the offset passes) for the runs' owners.
            if onlyJob == nil, partition.topic != configuration.flowTopic {
                let arrivedAt = message.timestamp ?? Date()
                for job in jobs {
                    let matches = waits.matches(jobId: job.id, event: event, arrivedAt: arrivedAt)
                    guard !matches.isEmpty else { continue }
                    runs.append(
                        .concurrent(
                            Work(
                                job: job, event: event, message: message, partition: partition, runKey: "", runsPartition: runsPartition,
                                kind: .deliver(matches.map { $0.matched(by: event, arrivedAt: arrivedAt) }))))
                }
            }
        } catch {
            unreadable = error.reason
        }
        let received = state.withLock {
            $0.machine.received(partition, offset: message.offset, runs: runs, unreadable: unreadable != nil)
        }
        if case .refused = received {
        } else {
            for job in skipped { metrics.count(job: job, .skipped) }
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
                    startLaneWorker(partition, lane: job)
                case .concurrent(let work):
                    spawn(partition) { [self] in
                        guard state.withLock({ $0.machine.beginConcurrent(partition) }) else { return }
                        await run(work)
                    }
                }
            }
        }
    }

    /// Starts the worker of a job's lane of `partition`: it takes the lane's runs one after another
    /// until there are none. A run cancelled while its body ran leaves the worker's task cancelled
    /// (``RunCancellation``): that worker hands the lane to a fresh one and ends.
    private func startLaneWorker(_ partition: KafkaTopicPartition, lane job: String) {
        spawn(partition) { [self] in
            while let next = state.withLock({ $0.machine.laneNext(partition, lane: job) }) {
                if await run(next) {
                    startLaneWorker(partition, lane: job)
                    return
                }
            }
        }
    }

    /// Runs a started run's attempts (or a resumption, or writes wait matches); the settling of a
    /// received record's run goes back to the state machine, a suspension to the wait timers.
    /// Returns whether the run's cancellation cancelled the calling task (it stays cancelled).
    @discardableResult
    private func run(_ work: Work) async -> Bool {
        let offset = work.message?.offset
        if case .forward(let routed) = work.kind {
            do {
                try await writer.write(routed)
                if let offset { settle(work.partition, offset, finished: true) }
            } catch {
                if let offset { settle(work.partition, offset, finished: false) }
            }
            return false
        }
        if case .flowRecord(let pending) = work.kind {
            let durable = await pending.value()
            if let offset { settle(work.partition, offset, finished: durable) }
            return false
        }
        if case .deliver(let matches) = work.kind {
            do {
                for match in matches { try await writer.write(try attempts.waitMessage(match)) }
                if let offset { settle(work.partition, offset, finished: true) }
            } catch {
                if let offset { settle(work.partition, offset, finished: false) }
            }
            return false
        }
        let cancellation = RunCancellation()
        let pending = state.withLock { state -> String? in
            state.running[work.runKey] = cancellation
            // (Empty almost always: skip hashing the key.)
            return state.pendingCancels.isEmpty ? nil : state.pendingCancels.removeValue(forKey: work.runKey)
        }
        if let pending { cancellation.cancel(reason: pending) }
        let flowStarted: @Sendable (Date?) -> Void = { [self] at in
            guard let key = work.flowKey else { return }
            state.withLock { state in state.gates[work.runsPartition]?.started(key: key, at: at) }
        }
        await attempts.execute(work, cancellation: cancellation, started: flowStarted) { [self] ending in
            // Handing a suspended run from `running` to `waiting` is one step, so a cancellation that
            // comes meanwhile finds it in one of the two (or is taken here).
            let cancelNow = state.withLock { state -> (Waiting, String)? in
                // One lookup; another run of the key registered since (rare) is put back.
                if let other = state.running.removeValue(forKey: work.runKey), other !== cancellation {
                    state.running[work.runKey] = other
                }
                let pending = state.pendingCancels.isEmpty ? nil : state.pendingCancels.removeValue(forKey: work.runKey)
                guard case .suspended(let wait, let entry) = ending else { return nil }
                var resumed = work
                resumed.restored = entry
                resumed.message = nil
                // Suspended, it gives its key's slot back (below); resumed, it holds none.
                resumed.flowKey = nil
                let waiting = Waiting(work: resumed, wait: wait)
                if let reason = cancellation.reason ?? pending { return (waiting, reason) }
                state.waiting[work.runKey] = waiting
                return nil
            }
            if case .suspended(let wait, _) = ending {
                if let (waiting, reason) = cancelNow {
                    cancelWaiting(waiting, reason: reason)
                } else {
                    scheduleTimer(work.runKey, at: wait.until)
                    settleFromDirectory(work.runKey, task: wait.task)
                }
            }
            // Once the resumption is durable the wait's match (or registration) can go.
            if case .resume(let removeWait?) = work.kind, !ending.isGivenUp {
                attempts.removeWait(key: removeWait, runsPartition: work.runsPartition)
            }
            if let offset { settle(work.partition, offset, finished: !ending.isGivenUp) }
        }
        // The run's body is over (its final record may still be on its way): its key's next
        // queued run may start.
        if let key = work.flowKey { flowFinished(key, partition: work.runsPartition) }
        return cancellation.cancelledItsTask
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

/// A record handed to the writer, whose durability a worker awaits later.
final class PendingWrite: Sendable {
    private let state = Mutex<(durable: Bool?, waiter: CheckedContinuation<Bool, Never>?)>((nil, nil))

    /// Says whether the record is durable (once).
    func complete(_ durable: Bool) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard state.durable == nil else { return nil }
            state.durable = durable
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: durable)
    }

    /// Whether the record became durable (suspends until it is known).
    func value() async -> Bool {
        await withCheckedContinuation { continuation in
            let known = state.withLock { state -> Bool? in
                if let durable = state.durable { return durable }
                state.waiter = continuation
                return nil
            }
            if let known { continuation.resume(returning: known) }
        }
    }
}
