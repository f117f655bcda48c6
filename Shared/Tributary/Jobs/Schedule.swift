import Foundation

/// When a scheduled job runs: a cron expression in a time zone, or a fixed interval; and how many
/// ticks missed while no registrar led are caught up.
///
/// Interval ticks are aligned to the Unix epoch (`interval(.minutes(5))` ticks at :00, :05, … UTC), so
/// every registrar computes the same tick times. A job never ticks before it was first declared.
/// The registrar's leader emits each tick once, as a `tributary.schedule.tick` event on `<p>.events`
/// (see ``ScheduledTick``).
public struct Schedule: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What the ticks follow.
    public enum Kind: Sendable, Hashable {
        /// A 5-field cron expression, read in the time zone.
        case cron(String, timeZone: TimeZone)
        /// Every `Duration`, aligned to the Unix epoch (whole milliseconds, at least 1 s).
        case interval(Duration)
    }

    /// What the ticks follow.
    public var kind: Kind
    /// How many of the ticks missed while no registrar led (downtime, a slow failover) run when one
    /// leads again: the latest `catchUp` of them, each with its own scheduled time; the others are
    /// skipped. Default 1; 0 skips every missed tick.
    public var catchUp: Int

    /// Creates a schedule.
    public init(_ kind: Kind, catchUp: Int = 1) {
        self.kind = kind
        self.catchUp = catchUp
    }

    /// A cron schedule, e.g. `.cron("0 9 * * 1-5", timeZone: TimeZone(identifier: "Europe/Berlin")!)`.
    public static func cron(_ expression: String, timeZone: TimeZone = .gmt, catchUp: Int = 1) -> Schedule {
        Schedule(.cron(expression, timeZone: timeZone), catchUp: catchUp)
    }

    /// An interval schedule, e.g. `.interval(.minutes(5))`.
    public static func interval(_ every: Duration, catchUp: Int = 1) -> Schedule {
        Schedule(.interval(every), catchUp: catchUp)
    }

    /// Throws when the cron expression does not parse (the error names the field), the interval is
    /// shorter than 1 s or not whole milliseconds, or `catchUp` is negative.
    public func validate() throws {
        guard catchUp >= 0 else { throw ScheduleError(message: "catchUp must be 0 or more, not \(catchUp)") }
        switch kind {
        case .cron(let expression, _): _ = try CronExpression(expression)
        case .interval(let every):
            guard let ms = Self.milliseconds(every), ms >= 1000 else {
                throw ScheduleError(message: "interval \(every) must be at least 1 s, in whole milliseconds")
            }
        }
    }

    /// The first tick strictly after `date`, or nil (an invalid schedule, a cron expression that never matches).
    public func next(after date: Date) -> Date? {
        switch kind {
        case .cron(let expression, let timeZone):
            return (try? CronExpression(expression))?.next(after: date, in: timeZone)
        case .interval(let every):
            guard let ms = Self.milliseconds(every), ms >= 1000 else { return nil }
            let now = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
            let k = now >= 0 ? now / ms + 1 : -((-now - 1) / ms)
            return Date(timeIntervalSince1970: Double(k * ms) / 1000)
        }
    }

    /// `cron 0 9 * * 1-5 (Europe/Berlin)` or `every 5m`.
    public var description: String {
        switch kind {
        case .cron(let expression, let timeZone): return "cron \(expression) (\(timeZone.identifier))"
        case .interval(let every):
            let ms = Self.milliseconds(every) ?? 0
            if ms % 3_600_000 == 0 { return "every \(ms / 3_600_000)h" }
            if ms % 60_000 == 0 { return "every \(ms / 60_000)m" }
            if ms % 1000 == 0 { return "every \(ms / 1000)s" }
            return "every \(ms)ms"
        }
    }

    static func milliseconds(_ d: Duration) -> Int64? {
        let (seconds, atto) = d.components
        guard atto % 1_000_000_000_000_000 == 0 else { return nil }
        return seconds * 1000 + atto / 1_000_000_000_000_000
    }

    private enum CodingKeys: String, CodingKey { case cron, timeZone, intervalMs, catchUp }

    /// `{"cron": "0 9 * * 1-5", "timeZone": "Europe/Berlin", "catchUp": 1}` or `{"intervalMs": 300000, "catchUp": 1}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch kind {
        case .cron(let expression, let timeZone):
            try c.encode(expression, forKey: .cron)
            try c.encode(timeZone.identifier, forKey: .timeZone)
        case .interval(let every):
            try c.encode(Self.milliseconds(every) ?? 0, forKey: .intervalMs)
        }
        try c.encode(catchUp, forKey: .catchUp)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        catchUp = try c.decodeIfPresent(Int.self, forKey: .catchUp) ?? 1
        if let expression = try c.decodeIfPresent(String.self, forKey: .cron) {
            let identifier = try c.decodeIfPresent(String.self, forKey: .timeZone) ?? "GMT"
            guard let timeZone = TimeZone(identifier: identifier) else {
                throw DecodingError.dataCorruptedError(forKey: .timeZone, in: c, debugDescription: "unknown time zone \(identifier)")
            }
            kind = .cron(expression, timeZone: timeZone)
        } else if let ms = try c.decodeIfPresent(Int64.self, forKey: .intervalMs) {
            kind = .interval(.milliseconds(ms))
        } else {
            throw DecodingError.dataCorruptedError(forKey: .cron, in: c, debugDescription: "a schedule needs cron or intervalMs")
        }
    }
}

/// A schedule that cannot be declared.
public struct ScheduleError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    public var description: String { message }
}

/// The payload of a scheduled job's run: one tick of its schedule.
///
/// The tick's event is `tributary.schedule.tick` from source `tributary.schedule`, with id
/// `<job id>@<scheduled time, RFC 3339>` (so its run id is the same whoever emits it) and timestamp
/// the scheduled time (`ctx.event.timestamp`).
public struct ScheduledTick: Sendable, Hashable, Codable {
    /// The job the tick is for (a tick triggers only its own job).
    public var jobId: String
    /// When the tick was due.
    public var scheduledAt: Date
    /// The job's previous tick that was emitted, if any.
    public var previousScheduledAt: Date?
    /// Whether the tick was missed while no registrar led and is caught up now.
    public var isCatchUp: Bool

    /// Creates a tick.
    public init(jobId: String, scheduledAt: Date, previousScheduledAt: Date? = nil, isCatchUp: Bool = false) {
        self.jobId = jobId; self.scheduledAt = scheduledAt; self.previousScheduledAt = previousScheduledAt; self.isCatchUp = isCatchUp
    }

    /// The event specification of ticks.
    public static let specification = EventSpecification<ScheduledTick>(
        name: "tributary.schedule.tick", title: "Scheduled tick", source: "tributary.schedule", icon: "clock",
        runProperties: { tick in
            [RunProperty(label: "Scheduled at", text: RFC3339.string(from: tick.scheduledAt))]
                + (tick.isCatchUp ? [RunProperty(label: "Catch-up", text: "yes")] : [])
        })

    /// The event id of a job's tick: `<job id>@<scheduled time>`.
    public static func eventId(jobId: String, scheduledAt: Date) -> String { "\(jobId)@\(RFC3339.string(from: scheduledAt))" }

    /// The tick as an event on `<p>.events`.
    public var event: EventRecord {
        let payload = (try? JSON(encoding: self)) ?? .object([:])
        return EventRecord(
            id: Self.eventId(jobId: jobId, scheduledAt: scheduledAt), name: Self.specification.name,
            source: Self.specification.source, timestamp: scheduledAt, payload: payload)
    }
}

extension Trigger where Payload == ScheduledTick {
    /// A trigger on a cron schedule, e.g. `.cron("0 9 * * 1-5", timeZone: TimeZone(identifier: "Europe/Berlin")!)`.
    public static func cron(_ expression: String, timeZone: TimeZone = .gmt, catchUp: Int = 1) -> Trigger<ScheduledTick> {
        Trigger(schedule: .cron(expression, timeZone: timeZone, catchUp: catchUp))
    }

    /// A trigger on an interval schedule, e.g. `.interval(.minutes(5))`.
    public static func interval(_ every: Duration, catchUp: Int = 1) -> Trigger<ScheduledTick> {
        Trigger(schedule: .interval(every, catchUp: catchUp))
    }
}

extension Duration {
    /// `minutes` minutes, e.g. `.interval(.minutes(5))`.
    public static func minutes(_ minutes: Int64) -> Duration { .seconds(minutes * 60) }
    /// `hours` hours.
    public static func hours(_ hours: Int64) -> Duration { .seconds(hours * 3600) }
}
