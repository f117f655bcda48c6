import Foundation

/// A trigger: an event specification, optionally on an external source with params, and a filter.
///
/// Its `effectiveFilter` merges the source's filter for the params, the event specification's
/// filter and the trigger's own filter (Trigger.dev's `deepMergeFilters`). Problems (params that
/// do not validate, an unknown filter operator) are reported by `validate()` and when the trigger
/// is declared (`declaration(job:)`).
public struct Trigger<Payload: Decodable & Sendable>: Sendable {
    /// The event specification.
    public let event: EventSpecification<Payload>
    /// The external source and its params; `nil` for events that other systems put on `<p>.events`.
    public let source: TriggerSource?
    /// The trigger's own (params') payload filter.
    public let filter: EventFilter
    /// A filter on the event's context.
    public let contextFilter: EventFilter
    /// The merged payload filter: source's, then event's, then the trigger's.
    public let effectiveFilter: EventFilter
    /// The filter matched against `{"payload": …, "context": …}` and declared on `<p>.triggers`.
    public let declaredFilter: EventFilter
    /// The schedule of a scheduled trigger (`.cron(…)`, `.interval(…)`): its events are the ticks the
    /// registrar emits for the job, and it matches only its own job's ticks.
    public let schedule: Schedule?
    private let problem: String?

    /// A trigger on an external source.
    public init<Params>(
        event: EventSpecification<Payload>, source: ExternalSource<Params>, params: Params,
        filter: EventFilter = .all, contextFilter: EventFilter = .all
    ) {
        var problem: String?
        var sourceFilter = EventFilter.all
        var paramsJSON = JSON.object([:])
        do {
            try source.validate(params)
            paramsJSON = try JSON(encoding: params)
            sourceFilter = source.filter(params)
        } catch {
            problem = "params of source \(source.id) are invalid: \(error)"
        }
        self.init(
            event: event,
            source: TriggerSource(
                channel: source.channel, id: source.id, version: source.version,
                key: source.key(params), params: paramsJSON),
            sourceFilter: sourceFilter, filter: filter, contextFilter: contextFilter, problem: problem)
    }

    /// A trigger on events of `event.source` that arrive on `<p>.events` from any producer.
    public init(event: EventSpecification<Payload>, filter: EventFilter = .all, contextFilter: EventFilter = .all) {
        self.init(event: event, source: nil, sourceFilter: .all, filter: filter, contextFilter: contextFilter, problem: nil)
    }

    private init(
        event: EventSpecification<Payload>, source: TriggerSource?, sourceFilter: EventFilter,
        filter: EventFilter, contextFilter: EventFilter, problem: String?, schedule: Schedule? = nil
    ) {
        self.schedule = schedule
        self.event = event
        self.source = source
        self.filter = filter
        self.contextFilter = contextFilter
        let effective = EventFilter.merge(sourceFilter, event.filter, filter)
        self.effectiveFilter = effective
        var declared: [String: JSON] = [:]
        if !effective.isEmpty { declared["payload"] = .object(effective.json) }
        if !contextFilter.isEmpty { declared["context"] = .object(contextFilter.json) }
        self.declaredFilter = EventFilter(declared)
        self.problem = problem
    }

    /// Throws when the params are invalid or a filter is malformed (the error names the operator).
    public func validate() throws {
        if let problem { throw TriggerError(message: problem) }
        if let schedule {
            do { try schedule.validate() } catch { throw TriggerError(message: "schedule is invalid: \(error)") }
        }
        try declaredFilter.validate()
    }

    /// Whether `event` is one this trigger runs for: name, source, source key and filter.
    public func matches(_ e: EventRecord) -> Bool {
        guard event.names.contains(e.name), e.source == event.source else { return false }
        if let source, let key = e.sourceKey, key != source.key { return false }
        return declaredFilter.matches(e)
    }

    /// Whether `event` is one this trigger runs for as job `jobId`: a scheduled trigger takes only
    /// that job's ticks.
    public func matches(_ e: EventRecord, jobId: String) -> Bool {
        guard matches(e) else { return false }
        return schedule == nil || e.payload["jobId"]?.stringValue == jobId
    }

    /// The declaration published on `<p>.triggers` for a job; validates first. A scheduled trigger's
    /// declaration carries its schedule and a filter on the job's own ticks.
    public func declaration(jobId: String, jobName: String, version: String) throws -> TriggerDeclaration {
        try validate()
        var filter = declaredFilter
        if schedule != nil {
            var json = filter.json
            var payload = json["payload"]?.objectValue ?? [:]
            payload["jobId"] = [.string(jobId)]
            json["payload"] = .object(payload)
            filter = EventFilter(json)
        }
        var declaration = TriggerDeclaration(
            jobId: jobId, jobName: jobName, version: version, source: source,
            eventSource: event.source, events: event.names, filter: filter)
        declaration.schedule = schedule
        return declaration
    }
}

extension Trigger where Payload == ScheduledTick {
    /// A trigger on a schedule's ticks (see ``Schedule``); `.cron(…)` and `.interval(…)` make one.
    public init(schedule: Schedule) {
        self.init(
            event: ScheduledTick.specification, source: nil, sourceFilter: .all, filter: .all, contextFilter: .all,
            problem: nil, schedule: schedule)
    }
}

/// The source part of a trigger and of its declaration.
public struct TriggerSource: Sendable, Hashable, Codable {
    /// The channel.
    public var channel: SourceChannel
    /// The external source id.
    public var id: String
    /// The external source version.
    public var version: String
    /// The subscription key.
    public var key: String
    /// The params as JSON.
    public var params: JSON
    /// Creates a trigger source.
    public init(channel: SourceChannel, id: String, version: String, key: String, params: JSON) {
        self.channel = channel; self.id = id; self.version = version; self.key = key; self.params = params
    }
}

/// A trigger that cannot be declared.
public struct TriggerError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    public var description: String { message }
}
