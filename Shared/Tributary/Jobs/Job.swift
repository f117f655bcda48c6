import Foundation

/// A job as the runner sees it, whatever its payload type.
public protocol JobDefinition: Sendable {
    /// The job id (key on `<p>.triggers`).
    var id: String { get }
    /// A human name.
    var name: String { get }
    /// The job version.
    var version: String { get }
    /// The trigger declaration for `<p>.triggers`; throws when the trigger is invalid.
    func declaration() throws -> TriggerDeclaration
    /// Whether the event triggers this job.
    func matches(_ event: EventRecord) -> Bool
    /// The run properties of an event (empty when the payload does not parse).
    func runProperties(for event: EventRecord) -> [RunProperty]
    /// The trigger's example events (see `EventSpecification.event(from:)`).
    var exampleEvents: [EventRecord] { get }
    /// Parses the payload and runs the job.
    func run(_ event: EventRecord, io: IO, context: RunContext) async throws
    /// The events that cancel the job's run on `event` while it waits or runs (`cancelOn`), or nil.
    func cancellation(for event: EventRecord) -> EventWait.Option?
    /// The job's flow control per key (concurrency, rate limit, throttle, debounce, batch,
    /// idempotency), or nil.
    var flow: FlowControl? { get }
}

extension JobDefinition {
    /// No cancellation condition.
    public func cancellation(for event: EventRecord) -> EventWait.Option? { nil }
    /// No flow control.
    public var flow: FlowControl? { nil }
}

/// A job's cancellation condition: events of a specification whose payload matches a filter
/// computed from the run's own payload, e.g. `order.cancelled` with the same order id.
///
/// ```swift
/// cancelOn: CancelOn(OrderEvents.cancelled) { order in ["orderId": [.string(order.orderId)]] }
/// ```
public struct CancelOn<Payload: Sendable>: Sendable {
    /// The wait option cancelling the run on a payload.
    public let option: @Sendable (Payload) -> EventWait.Option

    /// Cancels on `event`'s events whose payload matches `filter(payload of the run)`.
    public init<Event>(_ event: EventSpecification<Event>, filter: @escaping @Sendable (Payload) -> EventFilter) {
        self.option = { event.waitOption(filter: filter($0)) }
    }
}

/// A job: id, name, version, a trigger, and what to do with each matching event.
///
/// ```swift
/// let onPrice = Job(id: "stripe-on-price", name: "On price created", version: "1.0.0",
///                   trigger: stripe.trigger(StripeEvents.priceCreated)) { price, io, ctx in
///     io.logger.info("price created!", metadata: ["currency": "\(price.currency)"])
/// }
/// ```
public struct Job<Payload: Decodable & Sendable>: JobDefinition {
    /// The body of a job.
    public typealias Body = @Sendable (Payload, IO, RunContext) async throws -> Void

    /// The job id.
    public let id: String
    /// A human name.
    public let name: String
    /// The job version.
    public let version: String
    /// The trigger.
    public let trigger: Trigger<Payload>
    /// The body.
    public let body: Body
    /// What cancels a run while it waits or runs.
    public let cancelOn: CancelOn<Payload>?
    /// Flow control per key.
    public let flow: FlowControl?

    /// Creates a job; `cancelOn` cancels its runs (waiting or running) on matching events; `flow`
    /// limits its runs per key across every runner.
    public init(
        id: String, name: String, version: String, trigger: Trigger<Payload>, cancelOn: CancelOn<Payload>? = nil,
        flow: FlowControl? = nil, run: @escaping Body
    ) {
        self.id = id; self.name = name; self.version = version; self.trigger = trigger; self.body = run
        self.cancelOn = cancelOn
        self.flow = flow
    }

    /// The cancellation condition of the run on `event`, from `cancelOn` and the event's payload.
    public func cancellation(for event: EventRecord) -> EventWait.Option? {
        guard let cancelOn, let payload = try? trigger.event.parse(event.payload) else { return nil }
        return cancelOn.option(payload)
    }

    /// The trigger's declaration for this job; throws when the trigger is invalid.
    public func declaration() throws -> TriggerDeclaration {
        try trigger.declaration(jobId: id, jobName: name, version: version)
    }

    /// Whether the trigger matches the event (a scheduled trigger only this job's ticks).
    public func matches(_ event: EventRecord) -> Bool { trigger.matches(event, jobId: id) }

    /// The event specification's run properties for the event's payload.
    public func runProperties(for event: EventRecord) -> [RunProperty] {
        guard let p = try? trigger.event.parse(event.payload) else { return [] }
        return trigger.event.runProperties(p)
    }

    /// The event specification's examples as events.
    public var exampleEvents: [EventRecord] {
        trigger.event.examples.map { trigger.event.event(from: $0, sourceKey: trigger.source?.key) }
    }

    /// Parses the payload (throwing `PayloadError`) and runs the body.
    public func run(_ event: EventRecord, io: IO, context: RunContext) async throws {
        let payload: Payload
        do { payload = try trigger.event.parse(event.payload) } catch {
            throw PayloadError(eventName: event.name, message: "\(error)")
        }
        try await body(payload, io, context)
    }
}

/// An event payload that does not parse as the job's payload type (retrying will not help).
public struct PayloadError: Error, Sendable, CustomStringConvertible {
    /// The event name.
    public var eventName: String
    /// The decoding error.
    public var message: String
    public var description: String { "payload of \(eventName) does not parse: \(message)" }
}
