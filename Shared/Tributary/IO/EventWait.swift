import Foundation

/// What a waiting run waits for besides time: events of some names from one source whose
/// `{"payload": …, "context": …}` matches a filter, arriving from `since` on (the moment the wait
/// began, less its lookback). Recorded on the wait's task, and on `<p>.waits` so that whichever
/// runner takes the matching event tells the run's owner.
public struct EventWait: Sendable, Hashable, Codable {
    /// One kind of event the wait accepts.
    public struct Option: Sendable, Hashable, Codable {
        /// The event names.
        public var names: [String]
        /// The event source (CloudEvents `source`).
        public var source: String
        /// Matched against `{"payload": …, "context": …}`, with the semantics of trigger filters.
        public var filter: EventFilter

        /// An option for events named `names` from `source` matching `filter`.
        public init(names: [String], source: String, filter: EventFilter = .all) {
            self.names = names; self.source = source; self.filter = filter
        }

        /// Whether `event` is one this option accepts (names, source, filter).
        public func matches(_ event: EventRecord) -> Bool {
            names.contains(event.name) && event.source == source && filter.matches(event)
        }
    }

    /// The kinds of event accepted (any one of them ends the wait).
    public var options: [Option]
    /// Events that arrived (Kafka timestamp) before this do not count.
    public var since: Date
    /// When the wait times out.
    public var deadline: Date

    /// A wait for any of `options`, counting events from `since`, until `deadline`.
    public init(options: [Option], since: Date, deadline: Date) {
        self.options = options; self.since = since; self.deadline = deadline
    }

    /// Whether `event`, which arrived at `arrivedAt`, ends this wait.
    public func matches(_ event: EventRecord, arrivedAt: Date) -> Bool {
        arrivedAt >= since && arrivedAt <= deadline && options.contains { $0.matches(event) }
    }

    /// Every event name the wait can be ended by.
    public var names: Set<String> { Set(options.flatMap(\.names)) }
}

extension EventSpecification {
    /// A wait option for this specification's events whose payload matches `filter` (and whose
    /// context matches `contextFilter`), e.g. `OrderEvents.shipped.waitOption(filter: ["orderId": [id]])`.
    public func waitOption(filter: EventFilter = .all, contextFilter: EventFilter = .all) -> EventWait.Option {
        let payload = EventFilter.merge(self.filter, filter)
        var declared: [String: JSON] = [:]
        if !payload.isEmpty { declared["payload"] = .object(payload.json) }
        if !contextFilter.isEmpty { declared["context"] = .object(contextFilter.json) }
        return EventWait.Option(names: names, source: source, filter: EventFilter(declared))
    }
}

/// How `io.waitForEvent` ended: the first matching event, or the timeout.
public enum EventWaitResult<Payload: Sendable>: Sendable {
    /// A matching event arrived; its payload parsed as the specification's type.
    case event(Payload, EventRecord)
    /// No matching event arrived before the timeout.
    case timedOut

    /// The payload, or nil after a timeout.
    public var payload: Payload? {
        if case .event(let payload, _) = self { return payload }
        return nil
    }
}

/// Thrown by `io.wait` and `io.waitForEvent` inside a runner when the run must wait longer than
/// it may hold its partition: the runner records the run as waiting on `<p>.runs` and resumes it
/// from the start (completed tasks memoized) when the wait ends. A job must let it propagate; if
/// the body catches it anyway, the run is suspended all the same.
public struct RunSuspended: Error, Sendable, Hashable, CustomStringConvertible {
    /// The task key of the wait.
    public var task: String
    /// When the wait ends at the latest (a time wait's end, or an event wait's deadline).
    public var until: Date
    /// The events that end the wait sooner, for `waitForEvent`.
    public var events: EventWait?

    /// A suspension at the wait `task`.
    public init(task: String, until: Date, events: EventWait? = nil) {
        self.task = task; self.until = until; self.events = events
    }

    public var description: String {
        "run suspended at '\(task)' until \(RFC3339.string(from: until))" + (events == nil ? "" : " or a matching event")
    }
}

/// How a runner lets runs wait: waits longer than `minimumSuspension` suspend the run (it gives up
/// its lane, permit and partition); shorter ones sleep in place. Without a policy (a job tested on
/// its own) every wait sleeps, and `waitForEvent` is refused.
public struct SuspensionPolicy: Sendable, Hashable {
    /// Waits at least this long suspend the run.
    public var minimumSuspension: Duration

    /// A policy suspending waits of `minimumSuspension` or longer.
    public init(minimumSuspension: Duration = .seconds(1)) { self.minimumSuspension = minimumSuspension }
}

/// Publishes custom events for `io.sendEvent` (the runner's publishes to `<p>.events`) and
/// returns once the event is durable.
public protocol EventPublisher: Sendable {
    /// Publishes `event`; returns once it is acknowledged.
    func publish(_ event: EventRecord) async throws
}

/// What `io.sendEvent` returns (and memoizes): the event as sent.
public struct SentEvent: Sendable, Hashable, Codable {
    /// The event id.
    public var id: String
    /// The event name.
    public var name: String
    /// The event source.
    public var source: String
    /// The Kafka key of the event, `<source>/<id>`.
    public var key: String { "\(source)/\(id)" }
}
