import Foundation

/// Describes one kind of event a source emits (Trigger.dev's `EventSpecification`): its name or
/// names, how it is shown, examples, how its payload is parsed, and what to show with a run.
public struct EventSpecification<Payload: Decodable & Sendable>: Sendable {
    /// The event names this specification covers (e.g. `["price.created"]`); never empty.
    public var names: [String]
    /// A human title, e.g. "On price created".
    public var title: String
    /// The source that emits it, e.g. `stripe.com`.
    public var source: String
    /// An icon name (e.g. `stripe`).
    public var icon: String?
    /// Example events, used by `tributary send --example` and in tests.
    public var examples: [EventExample]
    /// A filter every event of this specification must also match (merged into triggers).
    public var filter: EventFilter
    /// Parses a payload (by default with `JSONDecoder`).
    public var parsePayload: @Sendable (JSON) throws -> Payload
    /// Label/text pairs shown with a run of this event.
    public var runProperties: @Sendable (Payload) -> [RunProperty]

    /// The first (primary) name.
    public var name: String { names[0] }

    /// Creates a specification for one event name.
    public init(
        name: String, title: String, source: String, icon: String? = nil,
        examples: [EventExample] = [], filter: EventFilter = .all,
        parsePayload: (@Sendable (JSON) throws -> Payload)? = nil,
        runProperties: @escaping @Sendable (Payload) -> [RunProperty] = { _ in [] }
    ) {
        self.init(
            names: [name], title: title, source: source, icon: icon, examples: examples,
            filter: filter, parsePayload: parsePayload, runProperties: runProperties)
    }

    /// Creates a specification covering several event names.
    public init(
        names: [String], title: String, source: String, icon: String? = nil,
        examples: [EventExample] = [], filter: EventFilter = .all,
        parsePayload: (@Sendable (JSON) throws -> Payload)? = nil,
        runProperties: @escaping @Sendable (Payload) -> [RunProperty] = { _ in [] }
    ) {
        precondition(!names.isEmpty, "an event specification needs at least one name")
        self.names = names
        self.title = title
        self.source = source
        self.icon = icon
        self.examples = examples
        self.filter = filter
        // A `JSON` payload is already what the job takes: no round trip through a decoder (it was a
        // tenth of a flow-controlled job's runner time, `perf record -g`).
        self.parsePayload =
            parsePayload ?? { json in
                if Payload.self == JSON.self, let same = json as? Payload { return same }
                return try json.decode(as: Payload.self)
            }
        self.runProperties = runProperties
    }

    /// An example as an event of this specification (first name, this source), e.g. for `tributary send --example`.
    public func event(from example: EventExample, id: String? = nil, sourceKey: String? = nil, at time: Date = Date()) -> EventRecord {
        EventRecord(
            id: id ?? "example_\(example.id)", name: name, source: source, timestamp: time,
            payload: example.payload, sourceKey: sourceKey)
    }

    /// Parses an event's payload into `Payload`.
    public func parse(_ payload: JSON) throws -> Payload { try parsePayload(payload) }
}

/// An example event of a specification.
public struct EventExample: Sendable, Hashable, Codable {
    /// A stable id, e.g. `price.created.usd`.
    public var id: String
    /// A short display name.
    public var name: String
    /// An icon name.
    public var icon: String?
    /// The example payload.
    public var payload: JSON
    /// Creates an example.
    public init(id: String, name: String, icon: String? = nil, payload: JSON) {
        self.id = id; self.name = name; self.icon = icon; self.payload = payload
    }
}

/// A label/text pair shown with a run (e.g. "Currency" / "usd").
public struct RunProperty: Sendable, Hashable, Codable {
    /// The label.
    public var label: String
    /// The text.
    public var text: String
    /// An optional link.
    public var url: String?
    /// Creates a run property.
    public init(label: String, text: String, url: String? = nil) { self.label = label; self.text = text; self.url = url }
}
