import Foundation

/// One request the receiver got on `POST /sources/<key>`, as it records it on `<p>.deliveries`
/// (key: the source key) for the console: when, what came of it and why, its size, the events it
/// published, and the body of an accepted delivery up to a size limit.
///
/// It never carries a secret, a signature or any header: only what is listed here.
///
/// Compatibility: version 1. Later versions add optional fields only (a reader ignores fields it
/// does not know), and ``Outcome`` is open: a reader shows an outcome it does not know by its raw
/// value. A record with another `v` is skipped by readers of this version.
public struct DeliveryRecord: Sendable, Hashable, Codable {
    /// The wire-format version written by this code.
    public static let wireVersion = 1

    /// What came of a delivery. Open (a struct, not an enum), so a newer writer's outcome decodes.
    public struct Outcome: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        /// The outcome's name on the wire, e.g. `accepted`.
        public var rawValue: String
        /// An outcome by its name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Verified, its events acknowledged by the broker (2xx).
        public static let accepted = Outcome(rawValue: "accepted")
        /// The signature is missing, malformed or wrong (401).
        public static let badSignature = Outcome(rawValue: "bad-signature")
        /// The signed timestamp is outside the tolerance (401).
        public static let stale = Outcome(rawValue: "stale")
        /// No source has this key (404).
        public static let unknownSource = Outcome(rawValue: "unknown-source")
        /// The body is over the receiver's limit (413).
        public static let tooLarge = Outcome(rawValue: "too-large")
        /// The body could not be parsed, or the request is not one the source takes (4xx).
        public static let malformed = Outcome(rawValue: "malformed")
        /// The events could not be stored, or the source cannot be served now (503; the provider retries).
        public static let unavailable = Outcome(rawValue: "unavailable")
        /// The source's handler failed (500).
        public static let handlerError = Outcome(rawValue: "handler-error")

        /// Whether the delivery was refused (anything but ``accepted``).
        public var isRefused: Bool { self != .accepted }

        public var description: String { rawValue }

        public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }

    /// The format version.
    public var v: Int
    /// When the receiver got the request.
    public var receivedAt: Date
    /// The source key of the path.
    public var sourceKey: String
    /// What came of it.
    public var outcome: Outcome
    /// Why it was refused (the message the provider got), nil when accepted.
    public var reason: String?
    /// The HTTP status answered.
    public var status: Int
    /// The body's size in bytes (as far as it was read).
    public var size: Int
    /// The ids of the events it published.
    public var eventIds: [String]
    /// The body of an accepted delivery as UTF-8 text, up to the receiver's limit; nil otherwise.
    public var body: String?
    /// Whether ``body`` was cut at the limit.
    public var bodyTruncated: Bool
    /// Refused deliveries of this source that were counted but not recorded (over the per-source
    /// rate) since the previous record of the source.
    public var unrecorded: Int

    /// A record.
    public init(
        receivedAt: Date, sourceKey: String, outcome: Outcome, reason: String? = nil, status: Int, size: Int,
        eventIds: [String] = [], body: String? = nil, bodyTruncated: Bool = false, unrecorded: Int = 0
    ) {
        self.v = Self.wireVersion; self.receivedAt = receivedAt; self.sourceKey = sourceKey; self.outcome = outcome
        self.reason = reason; self.status = status; self.size = size; self.eventIds = eventIds; self.body = body
        self.bodyTruncated = bodyTruncated; self.unrecorded = unrecorded
    }

    enum CodingKeys: String, CodingKey {
        case v, receivedAt, sourceKey, outcome, reason, status, size, eventIds, body, bodyTruncated, unrecorded
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        v = try c.decode(Int.self, forKey: .v)
        receivedAt = try c.decode(Date.self, forKey: .receivedAt)
        sourceKey = try c.decode(String.self, forKey: .sourceKey)
        outcome = try c.decode(Outcome.self, forKey: .outcome)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        status = try c.decode(Int.self, forKey: .status)
        size = try c.decodeIfPresent(Int.self, forKey: .size) ?? 0
        eventIds = try c.decodeIfPresent([String].self, forKey: .eventIds) ?? []
        body = try c.decodeIfPresent(String.self, forKey: .body)
        bodyTruncated = try c.decodeIfPresent(Bool.self, forKey: .bodyTruncated) ?? false
        unrecorded = try c.decodeIfPresent(Int.self, forKey: .unrecorded) ?? 0
    }

    /// The `<p>.deliveries` record (key: the source key). Written with Tributary's own JSON writer (the
    /// receiver writes one per request; Foundation's `JSONEncoder` took 7% of its CPU): the same fields
    /// as the `Codable` form, keys sorted, absent optionals left out.
    public func record() throws -> WireRecord {
        // Written field by field in the sorted key order `JSON.encoded()` gives a tree (no dictionary
        // to build, hash and sort on every request).
        var out = [UInt8]()
        out.reserveCapacity(160 + sourceKey.utf8.count + (body?.utf8.count ?? 0) + (reason?.utf8.count ?? 0))
        var first = true
        func key(_ name: StaticString) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        if let body {
            key("body")
            JSON.writeString(body, to: &out)
        }
        key("bodyTruncated")
        out.append(contentsOf: bodyTruncated ? Array("true".utf8) : Array("false".utf8))
        key("eventIds")
        out.append(UInt8(ascii: "["))
        for (index, id) in eventIds.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSON.writeString(id, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        key("outcome")
        JSON.writeString(outcome.rawValue, to: &out)
        if let reason {
            key("reason")
            JSON.writeString(reason, to: &out)
        }
        key("receivedAt")
        JSON.writeString(RFC3339.string(from: receivedAt), to: &out)
        key("size")
        JSON.writeNumber(Double(size), to: &out)
        key("sourceKey")
        JSON.writeString(sourceKey, to: &out)
        key("status")
        JSON.writeNumber(Double(status), to: &out)
        key("unrecorded")
        JSON.writeNumber(Double(unrecorded), to: &out)
        key("v")
        JSON.writeNumber(Double(v), to: &out)
        out.append(UInt8(ascii: "}"))
        return WireRecord(key: Array(sourceKey.utf8), value: out)
    }

    /// Reads a `<p>.deliveries` record; throws for a tombstone, invalid JSON or another version.
    public init(record: WireRecord) throws {
        guard let value = record.value else { throw WireFormatError("delivery record has no value (tombstone)") }
        let r: DeliveryRecord
        do { r = try JSONCoding.decoder.decode(DeliveryRecord.self, from: Data(value)) } catch {
            throw WireFormatError("delivery record is not valid: \(error)")
        }
        guard r.v == 1 else { throw WireFormatError("unsupported delivery record version \(r.v)") }
        self = r
    }
}
