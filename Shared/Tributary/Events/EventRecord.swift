import Foundation

/// One event as it travels on `<p>.events`: what a source handler produces and what the runner
/// matches jobs against.
public struct EventRecord: Sendable, Hashable {
    /// The event id, unique per source (e.g. Stripe's `evt_…`).
    public var id: String
    /// The event name, e.g. `price.created`.
    public var name: String
    /// The emitting source, e.g. `stripe.com` (CloudEvents `source`).
    public var source: String
    /// When the event happened.
    public var timestamp: Date
    /// The payload.
    public var payload: JSON
    /// Context about the event (e.g. Stripe's `account`, `livemode`).
    public var context: JSON
    /// The key of the external source (subscription) it came through, e.g. `stripe.webhook`.
    public var sourceKey: String?
    /// The exact encoding of `payload`, when already known (e.g. the webhook body), so it is not
    /// re-encoded on the way to Kafka. Must encode `payload`.
    public var payloadBytes: [UInt8]?

    /// Creates an event.
    public init(
        id: String, name: String, source: String, timestamp: Date = Date(), payload: JSON,
        context: JSON = .object([:]), sourceKey: String? = nil, payloadBytes: [UInt8]? = nil
    ) {
        self.id = id; self.name = name; self.source = source; self.timestamp = timestamp
        self.payload = payload; self.context = context; self.sourceKey = sourceKey; self.payloadBytes = payloadBytes
    }

    /// The Kafka key of the event: `<source>/<event id>`.
    public var key: String { "\(source)/\(id)" }

    /// The value filters are matched against: `{"payload": …, "context": …}`.
    public var filterSubject: JSON { .object(["payload": payload, "context": context]) }

    public static func == (l: EventRecord, r: EventRecord) -> Bool {
        l.id == r.id && l.name == r.name && l.source == r.source && l.timestamp == r.timestamp
            && l.payload == r.payload && l.context == r.context && l.sourceKey == r.sourceKey
    }
    public func hash(into h: inout Hasher) { h.combine(id); h.combine(source); h.combine(name) }
}
