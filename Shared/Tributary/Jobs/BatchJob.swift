import Foundation

/// A job whose runs take a batch of events of one key (``FlowControl/batch``): the body gets their
/// payloads in the order they arrived.
///
/// ```swift
/// let digest = BatchJob(id: "digest", name: "Digest", version: "1", trigger: Trigger(event: Shop.orderPlaced),
///                       batch: .init(maxSize: 50, within: .seconds(10)), key: .payload("customerId")) { orders, io, _ in
///     io.logger.info("orders", metadata: ["count": "\(orders.count)"])
/// }
/// ```
public struct BatchJob<Payload: Decodable & Sendable>: JobDefinition {
    /// The body of a batched job.
    public typealias Body = @Sendable ([Payload], IO, RunContext) async throws -> Void

    /// The job id.
    public let id: String
    /// A human name.
    public let name: String
    /// The job version.
    public let version: String
    /// The trigger of each event.
    public let trigger: Trigger<Payload>
    /// The flow control (its `batch` is set).
    public let flow: FlowControl?
    /// The body.
    public let body: Body

    /// A job running batches of up to `batch.maxSize` events of a key, collected for at most `batch.within`.
    public init(
        id: String, name: String, version: String, trigger: Trigger<Payload>, batch: FlowControl.Batch, key: FlowKey? = nil,
        run: @escaping Body
    ) {
        self.id = id; self.name = name; self.version = version; self.trigger = trigger; self.body = run
        self.flow = FlowControl(key: key, batch: batch)
    }

    /// The trigger's declaration for this job.
    public func declaration() throws -> TriggerDeclaration { try trigger.declaration(jobId: id, jobName: name, version: version) }
    /// Whether the trigger matches the event.
    public func matches(_ event: EventRecord) -> Bool { trigger.matches(event) }
    /// The event specification's run properties of the batch's first event.
    public func runProperties(for event: EventRecord) -> [RunProperty] {
        guard let first = event.payload[Self.batchKey]?.arrayValue?.first, let p = try? trigger.event.parse(first) else { return [] }
        return trigger.event.runProperties(p)
    }
    /// The event specification's examples as events.
    public var exampleEvents: [EventRecord] {
        trigger.event.examples.map { trigger.event.event(from: $0, sourceKey: trigger.source?.key) }
    }

    /// The key under which the runner hands a batch's payloads to the job.
    public static var batchKey: String { "batch" }

    /// Parses every payload of the batch (`{"batch": [...]}`) and runs the body.
    public func run(_ event: EventRecord, io: IO, context: RunContext) async throws {
        let items = event.payload[Self.batchKey]?.arrayValue ?? [event.payload]
        let payloads: [Payload]
        do { payloads = try items.map { try trigger.event.parse($0) } } catch {
            throw PayloadError(eventName: event.name, message: "\(error)")
        }
        try await body(payloads, io, context)
    }
}
