import Foundation

/// A broker-neutral message: what Tributary's wire formats produce and consume, and what the
/// services map to and from Kafka messages.
public struct WireRecord: Sendable, Hashable, Codable {
    /// The key bytes, if any.
    public var key: [UInt8]?
    /// The value bytes; `nil` is a tombstone.
    public var value: [UInt8]?
    /// The headers, in order.
    public var headers: [WireHeader]

    /// Creates a record.
    public init(key: [UInt8]?, value: [UInt8]?, headers: [WireHeader] = []) {
        self.key = key; self.value = value; self.headers = headers
    }

    /// The key as UTF-8 text.
    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }

    /// The first header named `name` (case-sensitive, as Kafka header names are).
    public func header(_ name: String) -> [UInt8]? {
        headers.first(where: { $0.name == name })?.value
    }

    /// The first header named `name`, as UTF-8 text.
    public func headerString(_ name: String) -> String? {
        header(name).map { String(decoding: $0, as: UTF8.self) }
    }

    enum CodingKeys: String, CodingKey { case key, value, headers }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decodeIfPresent(String.self, forKey: .key).map { try Base64Bytes.decode($0) }
        value = try c.decodeIfPresent(String.self, forKey: .value).map { try Base64Bytes.decode($0) }
        headers = try c.decodeIfPresent([WireHeader].self, forKey: .headers) ?? []
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(key.map { Data($0).base64EncodedString() }, forKey: .key)
        try c.encodeIfPresent(value.map { Data($0).base64EncodedString() }, forKey: .value)
        try c.encode(headers, forKey: .headers)
    }
}

/// One message header (bytes encode as base64 in JSON).
public struct WireHeader: Sendable, Hashable, Codable {
    /// The header name.
    public var name: String
    /// The header value.
    public var value: [UInt8]
    /// A header with bytes.
    public init(_ name: String, _ value: [UInt8]) { self.name = name; self.value = value }
    /// A header with UTF-8 text.
    public init(_ name: String, _ text: String) { self.name = name; self.value = Array(text.utf8) }

    enum CodingKeys: String, CodingKey { case name, value }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        value = try Base64Bytes.decode(try c.decode(String.self, forKey: .value))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(Data(value).base64EncodedString(), forKey: .value)
    }
}

enum Base64Bytes {
    static func decode(_ s: String) throws -> [UInt8] {
        guard let d = Data(base64Encoded: s) else { throw WireFormatError("not base64: \(s.prefix(40))") }
        return Array(d)
    }
}

/// A record that is not in the expected wire format; `reason` says why.
public struct WireFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why the record was refused.
    public var reason: String
    /// Creates an error.
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
