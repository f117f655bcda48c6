import Foundation
import Synchronization

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
    /// The payload (parsed on first read when the event was made from its text, ``init(id:name:source:timestamp:payloadText:context:sourceKey:)``).
    public var payload: JSON {
        get {
            switch storedPayload {
            case .tree(let tree): return tree
            case .text(let text): return text.value
            }
        }
        set { storedPayload = .tree(newValue) }
    }
    private var storedPayload: StoredPayload
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
        self.storedPayload = .tree(payload); self.context = context; self.sourceKey = sourceKey; self.payloadBytes = payloadBytes
    }

    /// Creates an event whose payload is the JSON text `payloadText`, already checked to be well formed
    /// (by ``JSON/parse(_:deferring:)``): it is kept as `payloadBytes` and parsed
    /// only if `payload` is read (a receiver publishes the text and never reads the tree).
    public init(
        id: String, name: String, source: String, timestamp: Date = Date(), payloadText: [UInt8],
        context: JSON = .object([:]), sourceKey: String? = nil
    ) {
        self.id = id; self.name = name; self.source = source; self.timestamp = timestamp
        self.storedPayload = .text(DeferredJSON(payloadText)); self.context = context; self.sourceKey = sourceKey
        self.payloadBytes = payloadText
    }

    /// Whether the payload's tree is there: made from one, or made from text that was read since.
    var payloadIsParsed: Bool {
        switch storedPayload {
        case .tree: return true
        case .text(let text): return text.isParsed
        }
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

extension EventRecord: Codable {
    private enum CodingKeys: String, CodingKey { case id, name, source, timestamp, payload, context, sourceKey }

    /// Reads an event as `encode(to:)` writes it (the payload as JSON, not as its original bytes).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id), name: try c.decode(String.self, forKey: .name),
            source: try c.decode(String.self, forKey: .source), timestamp: try c.decode(Date.self, forKey: .timestamp),
            payload: try c.decode(JSON.self, forKey: .payload),
            context: try c.decodeIfPresent(JSON.self, forKey: .context) ?? .object([:]),
            sourceKey: try c.decodeIfPresent(String.self, forKey: .sourceKey))
    }

    /// Writes the event's fields (e.g. in a waiting run's record, so it can resume without `<p>.events`).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(source, forKey: .source)
        try c.encode(timestamp, forKey: .timestamp)
        try c.encode(payload, forKey: .payload)
        try c.encode(context, forKey: .context)
        try c.encodeIfPresent(sourceKey, forKey: .sourceKey)
    }
}

/// An event's payload: its tree, or its checked text to be parsed on first read.
private enum StoredPayload: Sendable {
    case tree(JSON)
    case text(DeferredJSON)
}

/// Well-formed JSON text parsed once, on first read, and kept.
private final class DeferredJSON: Sendable {
    let text: [UInt8]
    private let parsed = Mutex<JSON?>(nil)

    init(_ text: [UInt8]) { self.text = text }

    /// Whether the text was parsed.
    var isParsed: Bool { parsed.withLock { $0 != nil } }

    var value: JSON {
        if let tree = parsed.withLock({ $0 }) { return tree }
        let tree: JSON
        do { tree = try JSON(parsing: text) } catch {
            // The text was checked by the same parser's rules when the event was made.
            assertionFailure("a deferred payload that is not JSON: \(error)")
            tree = .null
        }
        parsed.withLock { $0 = tree }
        return tree
    }
}
