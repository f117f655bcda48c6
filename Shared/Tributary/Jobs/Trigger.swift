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
        filter: EventFilter, contextFilter: EventFilter, problem: String?
    ) {
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
        try declaredFilter.validate()
    }

    /// Whether `event` is one this trigger runs for: name, source, source key and filter.
    public func matches(_ e: EventRecord) -> Bool {
        guard event.names.contains(e.name), e.source == event.source else { return false }
        if let source, let key = e.sourceKey, key != source.key { return false }
        return declaredFilter.matches(e.filterSubject)
    }

    /// The declaration published on `<p>.triggers` for a job; validates first.
    public func declaration(jobId: String, jobName: String, version: String) throws -> TriggerDeclaration {
        try validate()
        return TriggerDeclaration(
            jobId: jobId, jobName: jobName, version: version, source: source,
            eventSource: event.source, events: event.names, filter: declaredFilter)
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
