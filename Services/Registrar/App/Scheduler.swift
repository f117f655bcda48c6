import Foundation
import Logging
import ServiceSupport
import Tributary
import TributaryKafka

/// The scheduler's clock: what time it is and how to wait for a time. Tests inject their own so they
/// need not wait for real minutes.
public protocol ScheduleClock: Sendable {
    /// The time now.
    func now() -> Date
    /// Returns at `date` (at once when it has passed); throws `CancellationError` when cancelled first.
    func sleep(until date: Date) async throws
}

/// The system's clock.
public struct SystemScheduleClock: ScheduleClock {
    /// The system's clock.
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(until date: Date) async throws {
        let seconds = date.timeIntervalSinceNow
        if seconds > 0 { try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up)))) }
    }
}

/// A scheduled job as the planner sees it: its newest declared schedule and when it was first declared.
struct ScheduledJob: Sendable, Hashable {
    var jobId: String
    var schedule: Schedule
    /// No tick before this is ever emitted (nil: an older declaration; then none before the term began).
    var firstDeclaredAt: Date?
    /// When this term first saw the job with this schedule (nil: from the term's start). Ticks before
    /// it count as missed: a job that gains a schedule, or changes it, mid-term with its last tick long
    /// ago catches up, it does not get every tick since at once.
    var seenAt: Date? = nil

    /// The scheduled jobs among declarations: per job id, the schedule of its newest version (a job
    /// whose newest version has no schedule has none), and the earliest first declaration of any.
    static func from(_ declarations: [TriggerDeclaration]) -> [ScheduledJob] {
        var newest: [String: TriggerDeclaration] = [:]
        var first: [String: Date] = [:]
        for declaration in declarations {
            if let at = declaration.firstDeclaredAt { first[declaration.jobId] = min(first[declaration.jobId] ?? at, at) }
            if let current = newest[declaration.jobId], JobVersion.compare(declaration.version, current.version) <= 0 { continue }
            newest[declaration.jobId] = declaration
        }
        return newest.values.sorted { $0.jobId < $1.jobId }.compactMap { declaration in
            guard let schedule = declaration.schedule, (try? schedule.validate()) != nil else { return nil }
            return ScheduledJob(jobId: declaration.jobId, schedule: schedule, firstDeclaredAt: first[declaration.jobId])
        }
    }
}

/// What one pass of the scheduler writes: the ticks (oldest first per job), the new `<p>.schedules`
/// records, and when the next tick is due.
struct TickPlan: Sendable, Hashable {
    var ticks: [ScheduledTick] = []
    var records: [ScheduleRecord] = []
    var wakeAt: Date?
}

/// Which ticks are due, as a pure function of the scheduled jobs, the last tick accounted for per job
/// (`<p>.schedules`), the time now and when this leadership term began.
///
/// A job's due ticks are those after its last one (or after its first declaration) up to now. Those
/// scheduled before the term began were missed (no leader emitted them): only the latest `catchUp`
/// of them are emitted, as catch-ups; the others are skipped for good. Those from the term's start on
/// are emitted however late the pass runs.
struct TickPlanner: Sendable {
    /// When this leadership term began.
    var termStart: Date
    /// At most this many on-time ticks of one job in one pass (a clock that jumped far ahead).
    var maxOnTime = 1000

    func plan(jobs: [ScheduledJob], last: [String: ScheduleRecord], now: Date) -> TickPlan {
        var plan = TickPlan()
        for job in jobs {
            let record = last[job.jobId]
            var lower = record?.lastScheduledAt ?? job.firstDeclaredAt ?? termStart
            if let first = job.firstDeclaredAt, first > lower { lower = first }
            let schedule = job.schedule
            let beforeTerm = max(termStart, job.seenAt ?? termStart).addingTimeInterval(-0.001)
            var missed: [Date] = []
            if lower < beforeTerm {
                missed = Self.lastTicks(schedule, after: lower, through: min(beforeTerm, now), count: max(schedule.catchUp, 1))
            }
            let lastMissed = missed.last
            if schedule.catchUp == 0 { missed = [] }
            let onTime = Self.lastTicks(schedule, after: max(lower, beforeTerm), through: now, count: maxOnTime)
            var previous = record?.lastEmittedAt
            for (at, catchUp) in missed.map({ ($0, true) }) + onTime.map({ ($0, false) }) {
                plan.ticks.append(ScheduledTick(jobId: job.jobId, scheduledAt: at, previousScheduledAt: previous, isCatchUp: catchUp))
                previous = at
            }
            if let latest = onTime.last ?? lastMissed {
                plan.records.append(
                    ScheduleRecord(jobId: job.jobId, lastScheduledAt: latest, lastEmittedAt: previous, writtenAt: now, schedule: schedule))
            }
            if let next = schedule.next(after: max(now, lower)) { plan.wakeAt = min(plan.wakeAt ?? next, next) }
        }
        return plan
    }

    /// The last `count` ticks in `(after, through]`, oldest first, looking back in growing windows so
    /// that a long downtime does not enumerate every tick since.
    static func lastTicks(_ schedule: Schedule, after lower: Date, through upper: Date, count: Int) -> [Date] {
        guard count > 0, lower < upper, let probe = schedule.next(after: upper) else { return [] }
        var window = max(probe.timeIntervalSince(upper), 1) * Double(count + 1)
        while true {
            let from = max(lower, upper.addingTimeInterval(-window))
            var found: [Date] = []
            var t = from
            while let next = schedule.next(after: t), next <= upper {
                found.append(next)
                if found.count > 4 * count + 64 { found.removeFirst(found.count - count) }
                t = next
            }
            if found.count >= count || from == lower { return Array(found.suffix(count)) }
            window *= 4
        }
    }
}

/// The leader's scheduler: emits the ticks of every scheduled job as events on `<p>.events`, each with
/// the job's `<p>.schedules` record in one transaction of its own transactional id
/// (`<p>.registrar.schedules`): a new leader fences the previous one's producer, reads `<p>.schedules`
/// and goes on from the last tick committed, so a failover neither skips nor repeats a tick (and a
/// tick's event id, hence its run id, is the same whoever emits it). It sleeps until the next tick
/// is due or the declarations change.
final class Scheduler: Sendable {
    private let configuration: RegistrarConfiguration
    private let triggers: KafkaTableView
    private let wakeup: Wakeup
    private let clock: any ScheduleClock
    private let metrics: RegistrarMetrics
    private let logger: Logger

    init(
        configuration: RegistrarConfiguration, triggers: KafkaTableView, wakeup: Wakeup, metrics: RegistrarMetrics, logger: Logger
    ) {
        self.configuration = configuration
        self.triggers = triggers
        self.wakeup = wakeup
        self.clock = configuration.scheduleClock
        self.metrics = metrics
        self.logger = logger
    }

    /// Schedules until the task is cancelled or the term may no longer write.
    func lead() async -> Reconciler.TermEnd {
        let planner = TickPlanner(termStart: clock.now())
        var writer: LeaderWriter?
        let end: Reconciler.TermEnd
        do {
            while !triggers.isCaughtUp { try await Task.sleep(for: .milliseconds(50)) }
            let started = try await LeaderWriter.start(
                kafka: configuration.kafka, transactionalID: configuration.topics.schedulerTransactionalID,
                retryBackoff: configuration.retryBackoff, logger: logger)
            writer = started
            let last = try await readRecords()
            logger.info("scheduling", metadata: ["schedules": "\(last.count)"])
            try await schedule(planner: planner, writer: started, last: last)
            end = .stopped
        } catch let lost as LeadershipLost {
            logger.error("no longer scheduling: \(lost)")
            end = .lost(lost)
        } catch {
            if error is CancellationError || Task.isCancelled {
                end = .stopped
            } else {
                logger.error("no longer scheduling: the term cannot go on", metadata: [LogKey.error: "\(error)"])
                end = .lost(error)
            }
        }
        await writer?.shutdown()
        return end
    }

    /// The records on `<p>.schedules`, read to the end after the previous leader was fenced.
    private func readRecords() async throws -> [String: ScheduleRecord] {
        let reader = try KafkaTopicReader(configuration: configuration.kafka, topic: configuration.topics.schedules.name, logger: logger)
        var records: [String: ScheduleRecord] = [:]
        for await event in reader {
            try Task.checkCancellation()
            switch event {
            case .message(let message):
                guard let key = message.keyString else { continue }
                records[key] = try? ScheduleRecord(record: WireRecord(message))
            case .caughtUp:
                await reader.close()
                return records
            }
        }
        try Task.checkCancellation()
        return records
    }

    private func schedule(planner: TickPlanner, writer: LeaderWriter, last start: [String: ScheduleRecord]) async throws {
        var last = start
        // When this term first saw each job's schedule: the first pass saw them all at the term's start.
        var seen: [String: (schedule: Schedule, at: Date)] = [:]
        var firstPass = true
        while true {
            try Task.checkCancellation()
            let declarations = JobDirectory(snapshot: triggers.snapshot, now: Date()).effectiveDeclarations
            let now = clock.now()
            var jobs = ScheduledJob.from(declarations)
            for index in jobs.indices {
                let job = jobs[index]
                if seen[job.jobId]?.schedule != job.schedule { seen[job.jobId] = (job.schedule, firstPass ? planner.termStart : now) }
                jobs[index].seenAt = seen[job.jobId]?.at
            }
            firstPass = false
            let plan = planner.plan(jobs: jobs, last: last, now: now)
            var retry: Date?
            if !plan.records.isEmpty {
                do {
                    try await writer.commit(messages(plan))
                    for record in plan.records { last[record.jobId] = record }
                    for tick in plan.ticks {
                        metrics.tick(job: tick.jobId, catchUp: tick.isCatchUp)
                        logger.info(
                            "tick emitted",
                            metadata: [
                                LogKey.jobId: "\(tick.jobId)", "scheduledAt": "\(RFC3339.string(from: tick.scheduledAt))",
                                "catchUp": "\(tick.isCatchUp)",
                            ])
                    }
                } catch let error as KafkaError {
                    logger.warning("cannot emit ticks now; retrying", metadata: [LogKey.error: "\(error)"])
                    retry = clock.now().addingTimeInterval(configuration.retryBackoff.seconds)
                }
            }
            let wakeAt = retry ?? plan.wakeAt
            let clock = self.clock
            await wakeup.wait(orUntil: { if let wakeAt { try? await clock.sleep(until: wakeAt) } else { await Wakeup.forever() } })
        }
    }

    private func messages(_ plan: TickPlan) throws -> [KafkaProducerMessage] {
        let events = configuration.topics.events.name
        let schedules = configuration.topics.schedules.name
        return try plan.ticks.map { KafkaProducerMessage(topic: events, record: CloudEvent.encode($0.event)) }
            + plan.records.map { KafkaProducerMessage(topic: schedules, record: try $0.record()) }
    }
}
