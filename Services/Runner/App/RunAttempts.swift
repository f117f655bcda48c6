import Foundation
import Logging
import ServiceSupport
import Synchronization
import Tracing
import Tributary
import TributaryKafka

/// The attempts of one run: runs a job on an event with `io`, retries it after the job's retry
/// pause while attempts are left (a pause holds no run permit), dead-letters the event when they
/// are exhausted, suspends it when it waits, cancels it when asked, and records every attempt on
/// `<p>.runs`. ``RunDispatcher`` decides when a run starts and what its settling means for the
/// event's offset; this only runs it.
struct RunAttempts: Sendable {
    /// The runner's topics and settings (the dead-letter topic, whether run logs are printed).
    let configuration: RunnerConfiguration
    /// Writes run records and dead letters.
    let writer: RecordWriter
    /// The job's restored runs: a run finished meanwhile is skipped, a finished one recorded.
    let history: RunHistory
    /// Counts outcomes and durations.
    let metrics: RunnerMetrics
    /// The runner-wide cap on runs executing at once.
    let permits: RunPermits
    /// Where `io.sendEvent` publishes.
    let events: any EventPublisher
    let logger: Logger
    /// The process's tracer when one is installed (read once: each read of
    /// `InstrumentationSystem.tracer` takes a lock); nil, runs start no spans.
    let tracer: (any Tracer)? = ServiceTracing.installedTracer

    /// How a run's execution ended, for the dispatcher.
    enum Ending: Sendable {
        /// Its final record is durable (or it had finished before).
        case finished
        /// It waits: its waiting record (and its `<p>.waits` registrations) are durable.
        case suspended(RunRecord.Wait, RunHistory.Entry)
        /// It was given up (shutdown, a write failed): it runs again from its event or its record.
        case givenUp

        /// Whether the run was given up.
        var isGivenUp: Bool {
            if case .givenUp = self { return true }
            return false
        }
    }

    /// The `<p>.runs` message of a run record, on its event's runs partition.
    private func runMessage(_ record: RunRecord, _ work: RunDispatcher.Work) throws -> KafkaProducerMessage {
        KafkaProducerMessage(topic: configuration.runsTopic, partition: work.runsPartition, record: try record.record())
    }

    /// The `<p>.waits` message of a wait record, on its run's partition.
    func waitMessage(_ record: WaitRecord) throws -> KafkaProducerMessage {
        KafkaProducerMessage(topic: configuration.waitsTopic, partition: record.runsPartition, record: try record.record())
    }

    /// Removes a `<p>.waits` key (a wait that ended, or a run's cancellation condition once it is over).
    func removeWait(runKey: String, task: String, runsPartition: Int32) {
        removeWait(key: WaitRecord.key(runKey: runKey, task: task), runsPartition: runsPartition)
    }

    /// Removes the `<p>.waits` key `key` on `runsPartition`.
    func removeWait(key: String, runsPartition: Int32) {
        writer.enqueue(KafkaProducerMessage(topic: configuration.waitsTopic, partition: runsPartition, key: key, value: nil)) { _ in }
    }

    /// Runs a job on an event until it succeeds, its attempts are exhausted (then dead-letters the
    /// event), it suspends at a wait, or it is cancelled through `cancellation`; calls `settle` once
    /// with how it ended. It returns when the lane may take its next run, which can be before the
    /// final record is acked.
    func execute(
        _ work: RunDispatcher.Work, cancellation: RunCancellation, started: @Sendable (Date?) -> Void = { _ in },
        settle: @escaping @Sendable (Ending) -> Void
    ) async {
        let job = work.job
        let event = work.event
        let resuming = work.isResume
        // A waiting run resumes in the attempt it waited in; any other restored run in the next one.
        let firstAttempt = work.restored.map { $0.status == .waiting ? $0.attempt : $0.attempt + 1 } ?? 1
        let lastAttempt = max(job.retry.limit, firstAttempt)
        let writer = writer
        let runsTopic = configuration.runsTopic
        let runsPartition = work.runsPartition
        let store = RunTaskStore(restored: work.restored?.tasks ?? []) { record in
            try await writer.write(KafkaProducerMessage(topic: runsTopic, partition: runsPartition, record: try record.record()))
        }
        let properties = job.job.runProperties(for: event)
        // The same event delivered twice in a row (a provider retrying, a replayed batch): the copy
        // waited in this lane behind the first and finds its run finished (or waiting) now. Run nothing again.
        if !resuming {
            switch history.lookup(work.runKey, runsPartition: runsPartition) {
            case .finished, .resumable:
                metrics.count(job: job.id, .skipped)
                logger.debug(
                    "run finished meanwhile; duplicate skipped", metadata: [LogKey.jobId: "\(job.id)", LogKey.eventKey: "\(event.key)"])
                started(nil)
                return settle(.finished)
            case .unknown, .unfinished:
                break
            }
        }
        // With tracing on, the run is a process span, a child of the event's `traceparent`; each
        // attempt a span under it, the job's tasks and waits spans under that.
        let runSpan = tracer.map { startRunSpan(work, tracer: $0) }
        defer { runSpan?.end() }
        let traceparent =
            runSpan.flatMap { MessageTracing.traceparent(of: $0) }
            ?? work.message?.headers.first(named: "traceparent")?.stringValue ?? work.restored?.traceparent
        var attempt = firstAttempt
        var runId = ""
        // Made only for a line that is logged (most runs log none).
        var metadata: Logger.Metadata {
            [
                LogKey.jobId: "\(job.id)", LogKey.eventKey: "\(event.key)", LogKey.eventName: "\(event.name)",
                LogKey.runId: "\(runId)", LogKey.attempt: "\(attempt)",
            ]
        }
        while true {
            await permits.acquire()
            if Task.isCancelled {
                permits.release()
                if attempt == firstAttempt { started(nil) }
                return settle(.givenUp)
            }
            let context = RunContext(job: job.job, event: event, attempt: attempt)
            let attemptSpan = runSpan.flatMap { span in tracer?.startSpan("attempt \(attempt)", context: span.context) }
            attemptSpan?.attributes[MessageTracing.Attribute.attempt] = attempt
            runSpan?.attributes[MessageTracing.Attribute.runId] = context.runId
            runId = context.runId
            let io = IO(
                runId: context.runId, attempt: attempt, store: store, print: configuration.printRunLogs,
                logLimit: configuration.logLimit, suspension: SuspensionPolicy(minimumSuspension: configuration.minimumSuspension),
                events: events)
            let clock = ContinuousClock.now
            var record = RunRecord(starting: context, event: event, properties: properties, at: Date())
            if attempt == firstAttempt { started(record.startedAt) }
            if resuming { record.event = event }
            record.flowKey = work.flowKey
            record.traceparent = traceparent
            record.idempotencyKey = work.idempotencyKey
            record.tasks = store.all
            store.begin(record, log: io.log)
            if case .resume(let removeWait?) = work.kind, attempt == firstAttempt {
                // An event wait's end is decided once it is durable: a runner taking over later
                // continues with the event it ended on (or its timeout) instead of deciding again. A
                // time wait's end needs no record first: any runner decides it the same way.
                _ = removeWait
                do { try await writer.write(try runMessage(record, work)) } catch {
                    permits.release()
                    return settle(.givenUp)
                }
            } else {
                // Made and written only if the run's final record does not come first (see RecordWriter).
                let started = record
                writer.enqueueStarted(work.runSlot) {
                    KafkaProducerMessage(topic: runsTopic, partition: runsPartition, record: try started.record())
                }
            }
            let spanContext = attemptSpan?.context
            let failure = await cancellation.run {
                guard let spanContext else { return try await job.job.run(event, io: io, context: context) }
                try await ServiceContext.withValue(spanContext) { try await job.job.run(event, io: io, context: context) }
            }
            if let attemptSpan {
                if let failure, io.pendingSuspension == nil {
                    attemptSpan.recordError(failure)
                    attemptSpan.setStatus(SpanStatus(code: .error))
                }
                attemptSpan.end()
            }
            permits.release()
            metrics.recordDuration(job: job.id, ContinuousClock.now - clock)
            record.tasks = store.all
            record.finishedAt = Date()

            if let reason = cancellation.reason {
                record.status = .cancelled
                record.reason = reason
                record.event = event
                record.logs = io.log.lines
                metrics.count(job: job.id, .cancelled)
                runSpan?.attributes[MessageTracing.Attribute.outcome] = "cancelled"
                removeWait(runKey: work.runKey, task: WaitRecord.cancelTask, runsPartition: runsPartition)
                removeWait(runKey: work.runKey, task: WaitRecord.cancelRequestTask, runsPartition: runsPartition)
                if let pending = io.pendingSuspension {
                    removeWait(runKey: work.runKey, task: pending.task, runsPartition: runsPartition)
                }
                logger.notice("run cancelled", metadata: metadata.merging(["reason": "\(reason)"]) { $1 })
                history.finish(work.runKey, runsPartition: runsPartition)
                return persistFinal(record, work, settle: settle)
            }
            if let suspension = io.pendingSuspension {
                runSpan?.attributes[MessageTracing.Attribute.outcome] = "waiting"
                return suspend(record, io: io, at: suspension, work, settle: settle)
            }
            guard let failure else {
                record.status = .succeeded
                record.logs = io.log.lines
                if resuming { record.event = event }
                metrics.count(job: job.id, .succeeded)
                runSpan?.attributes[MessageTracing.Attribute.outcome] = "succeeded"
                history.finish(work.runKey, runsPartition: runsPartition)
                return persistFinal(record, work, settle: settle)
            }
            if Task.isCancelled {
                logger.info("run stopped by shutdown or rebalance; it runs again", metadata: metadata)
                return settle(.givenUp)
            }
            record.status = .failed
            record.error = "\(failure)"
            if resuming { record.event = event }
            let retriable = !(failure is PayloadError)
            if retriable && attempt < lastAttempt {
                let delay = job.retry.delay(afterAttempt: min(attempt, max(job.retry.limit - 1, 1))) ?? job.retry.minTimeout
                record.logs = io.log.lines
                if let message = try? runMessage(record, work) { writer.enqueue(message, replacing: work.runSlot) { _ in } }
                metrics.count(job: job.id, .retried)
                var retryMetadata = metadata
                retryMetadata[LogKey.error] = "\(failure)"
                retryMetadata["delay"] = "\(delay)"
                logger.warning("run failed; retrying", metadata: retryMetadata)
                do { try await Task.sleep(for: delay) } catch {
                    return settle(.givenUp)
                }
                attempt += 1
                continue
            }
            // Out of attempts: the event goes to the dead-letter topic first, then the run is failed for good.
            let original = work.message.map { WireRecord($0) } ?? CloudEvent.encode(event)
            let letter = DLQRecord(
                original: original, reason: "\(failure)", jobId: job.id,
                runId: context.runId, attempts: attempt)
            do {
                try await writer.write(KafkaProducerMessage(topic: configuration.deadLetterTopic, record: letter.record()))
            } catch {
                return settle(.givenUp)
            }
            io.logger.error(
                "\(RunRecord.deadLetteredMessage)",
                metadata: [
                    LogKey.error: "\(failure)", LogKey.topic: "\(configuration.deadLetterTopic)",
                ])
            record.status = .deadLettered
            record.logs = io.log.lines
            metrics.count(job: job.id, .deadLettered)
            runSpan?.attributes[MessageTracing.Attribute.outcome] = "dead-lettered"
            runSpan?.setStatus(SpanStatus(code: .error, message: "dead-lettered"))
            history.finish(work.runKey, runsPartition: runsPartition)
            return persistFinal(record, work, settle: settle)
        }
    }

    /// The process span of a run: a child of the trace context its event's headers carry (a resumed
    /// run, which has no event record at hand, a child of the run span its `traceparent` names).
    private func startRunSpan(_ work: RunDispatcher.Work, tracer: any Tracer) -> any Span {
        let topic = work.message?.topic ?? configuration.runsTopic
        // A resumed run (after a wait, or on another runner) stays in its trace: the parent is the run span
        // its first attempt recorded.
        let parent =
            work.message.map { MessageTracing.context(of: $0.headers) }
            ?? work.restored?.traceparent.map { MessageTracing.context(ofTraceparent: $0) } ?? .topLevel
        let span = tracer.startSpan("process \(topic)", context: parent, ofKind: .consumer)
        span.updateAttributes { attributes in
            if let message = work.message {
                attributes.merge(MessageTracing.processAttributes(of: message, group: configuration.groupID(job: work.job.id)))
            } else {
                attributes[MessageTracing.Attribute.messagingSystem] = "kafka"
                attributes[MessageTracing.Attribute.operationType] = "process"
                attributes[MessageTracing.Attribute.destination] = topic
            }
            attributes[MessageTracing.Attribute.jobId] = work.job.id
            attributes[MessageTracing.Attribute.eventName] = work.event.name
            attributes[MessageTracing.Attribute.eventKey] = work.event.key
        }
        return span
    }

    /// Records a run as waiting (with its event, so it resumes without `<p>.events`), registers
    /// its event wait and, on its first wait, its cancellation condition on `<p>.waits`; settles the
    /// run once all of it is durable, so its event's offset may pass.
    ///
    /// Like a final record, it is handed to the writer without waiting: the lane goes on to its next
    /// run meanwhile (a partition's waiting runs no longer take one acknowledgement each, one after
    /// another). The registrations are handed over once the waiting record is durable, as before.
    /// The run counts as suspended in the history at once, so that a copy of its event behind it in
    /// the lane finds it there and is skipped.
    private func suspend(
        _ started: RunRecord, io: IO, at suspension: RunSuspended, _ work: RunDispatcher.Work,
        settle: @escaping @Sendable (Ending) -> Void
    ) {
        var record = started
        let wait = RunRecord.Wait(task: suspension.task, until: suspension.until, events: suspension.events)
        record.status = .waiting
        record.wait = wait
        record.event = work.event
        record.error = nil
        record.logs = io.log.lines
        var registrations: [WaitRecord] = []
        if let events = suspension.events {
            registrations.append(
                WaitRecord(
                    kind: .registration, jobId: work.job.id, runKey: work.runKey, runId: record.runId, task: suspension.task,
                    runsPartition: work.runsPartition, wait: events))
        }
        if !work.isResume, let cancel = work.job.job.cancellation(for: work.event) {
            registrations.append(
                WaitRecord(
                    kind: .registration, jobId: work.job.id, runKey: work.runKey, runId: record.runId, task: WaitRecord.cancelTask,
                    runsPartition: work.runsPartition,
                    wait: EventWait(options: [cancel], since: record.startedAt, deadline: .distantFuture)))
        }
        let runMessage: KafkaProducerMessage
        let registrationMessages: [KafkaProducerMessage]
        do {
            runMessage = try self.runMessage(record, work)
            registrationMessages = try registrations.map { try waitMessage($0) }
        } catch {
            logger.error(
                "a waiting run's records could not be encoded", metadata: [LogKey.runId: "\(record.runId)", LogKey.error: "\(error)"])
            return settle(.givenUp)
        }
        history.suspend(work.runKey, runsPartition: work.runsPartition)
        let entry = RunHistory.Entry(
            attempt: record.attempt, tasks: record.tasks, status: .waiting, event: work.event, wait: wait,
            traceparent: record.traceparent)
        let metrics = metrics
        let logger = logger
        let runId = record.runId
        let suspended: @Sendable () -> Void = {
            metrics.count(job: work.job.id, .suspended)
            logger.debug(
                "run waits",
                metadata: [
                    LogKey.jobId: "\(work.job.id)", LogKey.runId: "\(runId)", "task": "\(suspension.task)",
                    "until": "\(RFC3339.string(from: suspension.until))",
                ])
            settle(.suspended(wait, entry))
        }
        let writer = writer
        writer.enqueue(runMessage, replacing: work.runSlot) { result in
            guard (try? result.get()) != nil else { return settle(.givenUp) }
            guard !registrationMessages.isEmpty else { return suspended() }
            let left = Mutex((count: registrationMessages.count, failed: false))
            for message in registrationMessages {
                writer.enqueue(message) { result in
                    let done = left.withLock { left -> Bool? in
                        left.count -= 1
                        if (try? result.get()) == nil { left.failed = true }
                        return left.count == 0 ? !left.failed : nil
                    }
                    switch done {
                    case true?: suspended()
                    case false?: settle(.givenUp)
                    case nil: break
                    }
                }
            }
        }
    }

    /// Writes a run's final record without waiting for it; settles the run when it is acked.
    func persistFinal(_ record: RunRecord, _ work: RunDispatcher.Work, settle: @escaping @Sendable (Ending) -> Void) {
        if record.event != nil, work.job.job.cancellation(for: work.event) != nil {
            removeWait(runKey: work.runKey, task: WaitRecord.cancelTask, runsPartition: work.runsPartition)
        }
        do {
            writer.enqueue(try runMessage(record, work), replacing: work.runSlot) { result in
                settle((try? result.get()) != nil ? .finished : .givenUp)
            }
        } catch {
            logger.error("run record could not be encoded", metadata: [LogKey.runId: "\(record.runId)", LogKey.error: "\(error)"])
            settle(.givenUp)
        }
    }
}

/// The handle to cancel one run while it executes (`cancelOn`, `tributary runs cancel`): the job's
/// body runs in the task that calls ``run(_:)`` (no task of its own per attempt: one cost about 30% of
/// a trivial run's CPU), and ``cancel(reason:)`` cancels that task while the body runs in it; the
/// reason says the run ended as cancelled rather than given up.
///
/// Cancellation stays on a task, so a worker whose task was cancelled this way
/// (``cancelledItsTask``) ends after the run and hands its lane to a fresh worker.
final class RunCancellation: Sendable {
    /// The task running a body: registered and cleared under the lock, and cancelled only under it,
    /// so it is alive whenever it is cancelled (cancelling a task from another thread is safe).
    private struct RunningTask: @unchecked Sendable {
        let task: UnsafeCurrentTask
    }

    private struct State {
        var reason: String?
        var running: RunningTask?
        var cancelledTask = false
    }

    private let state = Mutex(State())

    init() {}

    /// Why the run was cancelled, once it was.
    var reason: String? { state.withLock { $0.reason } }

    /// Whether ``cancel(reason:)`` cancelled the task of a body it ran (that task stays cancelled).
    var cancelledItsTask: Bool { state.withLock { $0.cancelledTask } }

    /// Cancels the run (if its body runs, it sees cancellation; one not started yet does not start) for `reason`.
    func cancel(reason: String) {
        state.withLock { state in
            if state.reason == nil { state.reason = reason }
            guard let running = state.running, !state.cancelledTask else { return }
            state.cancelledTask = true
            running.task.cancel()
        }
    }

    /// Runs `body` in the calling task, cancellable by ``cancel(reason:)`` meanwhile; returns its
    /// error (`CancellationError` without running it when the run was cancelled before).
    func run(_ body: () async throws -> Void) async -> (any Error)? {
        let cancelledBefore = withUnsafeCurrentTask { current in
            state.withLock { state -> Bool in
                guard state.reason == nil else { return true }
                state.running = current.map(RunningTask.init)
                return false
            }
        }
        if cancelledBefore { return CancellationError() }
        var failure: (any Error)?
        do { try await body() } catch { failure = error }
        state.withLock { $0.running = nil }
        return failure
    }
}
