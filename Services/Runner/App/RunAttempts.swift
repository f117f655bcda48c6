import Foundation
import TributaryKafka
import Logging
import ServiceSupport
import Tributary

/// The attempts of one run: runs a job on an event with `io`, retries it after the job's retry
/// pause while attempts are left (a pause holds no run permit), dead-letters the event when they
/// are exhausted, and records every attempt on `<p>.runs`. ``RunDispatcher`` decides when a run
/// starts and what its settling means for the event's offset; this only runs it.
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
    let logger: Logger

    /// The `<p>.runs` message of a run record, on its event's runs partition.
    private func runMessage(_ record: RunRecord, _ work: RunDispatcher.Work) throws -> KafkaProducerMessage {
        KafkaProducerMessage(topic: configuration.runsTopic, partition: work.runsPartition, record: try record.record())
    }

    /// Runs a job on an event until it succeeds or its attempts are exhausted (then dead-letters the
    /// event); calls `settle` once: `true` when the run's final record is durable (or it finished
    /// before), `false` when it was given up (cancelled, or a write failed) and its event runs again.
    /// It returns when the lane may take its next run, which can be before the final record is acked.
    func execute(_ work: RunDispatcher.Work, settle: @escaping @Sendable (_ finished: Bool) -> Void) async {
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
            logger.debug(
                "run finished meanwhile; duplicate skipped", metadata: [LogKey.jobId: "\(job.id)", LogKey.eventKey: "\(event.key)"])
            return settle(true)
        }
        var attempt = firstAttempt
        var metadata: Logger.Metadata = [
            LogKey.jobId: "\(job.id)", LogKey.eventKey: "\(event.key)",
            LogKey.eventName: "\(event.name)",
        ]
        while true {
            await permits.acquire()
            if Task.isCancelled {
                permits.release()
                return settle(false)
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
                return persistFinal(record, work, settle: settle)
            }
            if Task.isCancelled {
                logger.info("run cancelled; its event will run again", metadata: metadata)
                return settle(false)
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
                    return settle(false)
                }
                attempt += 1
                continue
            }
            // Out of attempts: the event goes to the dead-letter topic first, then the run is failed for good.
            let letter = DLQRecord(
                original: WireRecord(work.message), reason: "\(failure)", jobId: job.id,
                runId: context.runId, attempts: attempt)
            do {
                try await writer.write(KafkaProducerMessage(topic: configuration.deadLetterTopic, record: letter.record()))
            } catch {
                return settle(false)
            }
            io.logger.error(
                "\(RunRecord.deadLetteredMessage)",
                metadata: [
                    LogKey.error: "\(failure)", LogKey.topic: "\(configuration.deadLetterTopic)",
                ])
            record.status = .deadLettered
            record.logs = io.log.lines
            metrics.count(job: job.id, .deadLettered)
            history.finish(work.runKey, runsPartition: runsPartition)
            return persistFinal(record, work, settle: settle)
        }
    }

    /// Writes a run's final record without waiting for it; settles the run when it is acked.
    private func persistFinal(_ record: RunRecord, _ work: RunDispatcher.Work, settle: @escaping @Sendable (Bool) -> Void) {
        do {
            writer.enqueue(try runMessage(record, work)) { result in
                settle((try? result.get()) != nil)
            }
        } catch {
            logger.error("run record could not be encoded", metadata: [LogKey.runId: "\(record.runId)", LogKey.error: "\(error)"])
            settle(false)
        }
    }
}
