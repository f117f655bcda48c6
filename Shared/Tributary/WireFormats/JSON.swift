import Foundation

/// A JSON value: the payloads, contexts, params and filters that travel through Tributary.
///
/// Parsing and encoding work directly on UTF-8 bytes (see `JSON(parsing:)` and `encoded()`),
/// without Foundation's `JSONSerialization`, so the receiver can handle webhooks cheaply.
public enum JSON: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number (JSON numbers are IEEE doubles).
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSON])
    /// An object (key order is not kept).
    case object([String: JSON])
}

extension JSON {
    /// An object.
    public init(_ object: [String: JSON]) { self = .object(object) }
    /// An array.
    public init(_ array: [JSON]) { self = .array(array) }

    /// The value at `key` when this is an object, else `nil`.
    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// The string, when this is a string.
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    /// The number, when this is a number.
    public var numberValue: Double? { if case .number(let n) = self { return n }; return nil }
    /// The boolean, when this is a boolean.
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    /// The elements, when this is an array.
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a }; return nil }
    /// The members, when this is an object.
    public var objectValue: [String: JSON]? { if case .object(let o) = self { return o }; return nil }
    /// Whether this is `null`.
    public var isNull: Bool { if case .null = self { return true }; return false }
}

extension JSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        var o = [String: JSON](minimumCapacity: elements.count)
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}

// MARK: - Codable

extension JSON: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSON].self) {
            self = .array(a)
        } else if let o = try? c.decode([String: JSON].self) {
            self = .object(o)
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

// MARK: - Errors

/// Why bytes could not be parsed as JSON.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public var reason: String
    /// The byte offset where it was found.
    public var offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

// MARK: - Parsing

extension JSON {
    /// Parses UTF-8 JSON bytes (one value, surrounding whitespace allowed).
    public init(parsing bytes: some Collection<UInt8>) throws(JSONParseError) {
        let result: Result<JSON, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buf in
            Self.parse(UnsafeRawBufferPointer(buf))
        }
        if let result {
            self = try result.get()
        } else {
            let copy = Array(bytes)
            self = try copy.withUnsafeBytes { Self.parse($0) }.get()
        }
    }

    /// Parses a JSON text.
    public init(parsing text: String) throws(JSONParseError) {
        var text = text
        let result = text.withUTF8 { Self.parse(UnsafeRawBufferPointer($0)) }
        self = try result.get()
    }

    /// Parses UTF-8 JSON bytes as ``init(parsing:)`` does, except that the value at `path` (object
    /// keys from the top) is checked, not built: the tree holds `null` in its place and `deferred` is
    /// where its text is in `bytes` (nil when the path is not there). A webhook handler whose payload
    /// is a part of the body keeps that part's bytes and parses it only if something reads it. A
    /// repeated key keeps its last value, in the tree and in `deferred` alike.
    public static func parse(
        _ bytes: [UInt8], deferring path: [String]
    ) throws(JSONParseError) -> (
        tree: JSON, deferred: Range<Int>?
    ) {
        let result = bytes.withUnsafeBytes { buf -> Result<(JSON, Range<Int>?), JSONParseError> in
            var p = JSONParser(buf)
            return p.document { p throws(JSONParseError) in try p.value(depth: 0, deferring: path[...]) }.map { ($0, p.deferred) }
        }
        let (tree, deferred) = try result.get()
        return (tree, deferred)
    }

    private static func parse(_ buf: UnsafeRawBufferPointer) -> Result<JSON, JSONParseError> {
        var p = JSONParser(buf)
        return p.document { p throws(JSONParseError) in try p.value(depth: 0) }
    }
}

private struct JSONParser {
    let b: UnsafeRawBufferPointer
    var i = 0
    let end: Int
    /// The members of the objects being read, innermost last: an object's dictionary is made once,
    /// at its size, when it closes (inserting one member at a time grew it about four times).
    var members: [(String, JSON)] = []
    /// Where the value a ``value(depth:deferring:)`` skipped is (the last one, for a repeated key).
    var deferred: Range<Int>?
    init(_ b: UnsafeRawBufferPointer) { self.b = b; end = b.count }

    func fail(_ r: String) -> JSONParseError { JSONParseError(reason: r, offset: i) }

    /// One whole text: `read` takes its value, with only whitespace around it.
    mutating func document(_ read: (inout JSONParser) throws(JSONParseError) -> JSON) -> Result<JSON, JSONParseError> {
        do throws(JSONParseError) {
            skipSpace()
            let v = try read(&self)
            skipSpace()
            if i != end { throw fail("unexpected trailing data") }
            return .success(v)
        } catch {
            return .failure(error)
        }
    }

    mutating func skipSpace() {
        while i < end {
            let c = b[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { return }
        }
    }

    mutating func value(depth: Int) throws(JSONParseError) -> JSON {
        guard depth < 512 else { throw fail("nesting too deep") }
        guard i < end else { throw fail("unexpected end") }
        switch b[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected character")
        }
    }

    /// A value on the way to the deferred path's end: objects are read member by member, the value at
    /// the end is skipped (see ``JSON/parse(_:deferring:)``), anything else off the path is built.
    mutating func value(depth: Int, deferring path: ArraySlice<String>) throws(JSONParseError) -> JSON {
        guard !path.isEmpty else {
            let start = i
            try skipValue(depth: depth)
            deferred = start..<i
            return .null
        }
        guard depth < 512, i < end, b[i] == UInt8(ascii: "{") else { return try value(depth: depth) }
        return try object(depth: depth, deferring: path)
    }

    /// Checks a value by the same rules as ``value(depth:)`` and moves past it, building nothing.
    mutating func skipValue(depth: Int) throws(JSONParseError) {
        guard depth < 512 else { throw fail("nesting too deep") }
        guard i < end else { throw fail("unexpected end") }
        switch b[i] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = b[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            i += 1
            skipSpace()
            if i < end, b[i] == close { i += 1; return }
            while true {
                skipSpace()
                if isObject {
                    guard i < end, b[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    try skipString()
                    skipSpace()
                    guard i < end, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    i += 1
                    skipSpace()
                }
                try skipValue(depth: depth + 1)
                skipSpace()
                guard i < end else { throw fail("unexpected end") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == close { i += 1; return }
                throw fail(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try number()
        default: throw fail("unexpected character")
        }
    }

    /// Checks a string and moves past it; one with an escape is decoded, so that its escapes are
    /// checked by the same code that reads them.
    mutating func skipString() throws(JSONParseError) {
        let start = i
        i += 1
        while i < end {
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; return }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw fail("control character in string") }
            i += 1
        }
        i = start
        _ = try string()
    }

    mutating func literal(_ word: String) throws(JSONParseError) {
        for c in word.utf8 {
            guard i < end, b[i] == c else { throw fail("invalid literal") }
            i += 1
        }
    }

    /// An object; the member whose key is `path`'s first is read towards the deferred value.
    mutating func object(depth: Int, deferring path: ArraySlice<String>? = nil) throws(JSONParseError) -> JSON {
        i += 1
        skipSpace()
        if i < end, b[i] == UInt8(ascii: "}") { i += 1; return .object([:]) }
        let first = members.count
        while true {
            skipSpace()
            guard i < end, b[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
            let k = try string()
            skipSpace()
            guard i < end, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            i += 1
            skipSpace()
            let v: JSON
            if let path, k == path.first {
                deferred = nil  // a repeated key: only its last value counts
                v = try value(depth: depth + 1, deferring: path.dropFirst())
            } else {
                v = try value(depth: depth + 1)
            }
            members.append((k, v))
            skipSpace()
            guard i < end else { throw fail("unexpected end") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") {
                i += 1
                // A repeated key keeps its last value, as assigning one member at a time did.
                let o = Dictionary(members[first...], uniquingKeysWith: { _, last in last })
                members.removeSubrange(first...)
                return .object(o)
            }
            throw fail("expected ',' or '}'")
        }
    }

    mutating func array(depth: Int) throws(JSONParseError) -> JSON {
        i += 1
        var a = [JSON]()
        skipSpace()
        if i < end, b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
        while true {
            skipSpace()
            a.append(try value(depth: depth + 1))
            skipSpace()
            guard i < end else { throw fail("unexpected end") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            throw fail("expected ',' or ']'")
        }
    }

    mutating func string() throws(JSONParseError) -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < end {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw fail("control character in string") }
            i += 1
        }
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: b[start..<i]))
        while i < end {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c < 0x20 { throw fail("control character in string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < end else { break }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard end - i >= 6, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                        throw fail("lone surrogate")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw fail("lone surrogate")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("invalid escape") }
                out.append(contentsOf: UTF8.encode(u)!)
            default: throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard end - i >= 4 else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fail("invalid hex digit")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }

    mutating func number() throws(JSONParseError) -> Double {
        let start = i
        var integer: Int64 = 0
        var simple = true
        var negative = false
        if b[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        let digitsStart = i
        while i < end, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") {
            if i - digitsStart < 18 { integer = integer * 10 + Int64(b[i] - UInt8(ascii: "0")) } else { simple = false }
            i += 1
        }
        guard i > digitsStart else { throw fail("invalid number") }
        if b[digitsStart] == UInt8(ascii: "0"), i - digitsStart > 1 { throw fail("leading zero") }
        if i < end, b[i] == UInt8(ascii: ".") {
            simple = false
            i += 1
            let f = i
            while i < end, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
            guard i > f else { throw fail("invalid number") }
        }
        if i < end, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            simple = false
            i += 1
            if i < end, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            let e = i
            while i < end, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
            guard i > e else { throw fail("invalid number") }
        }
        if simple { return negative ? -Double(integer) : Double(integer) }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        guard let d = Double(text) else { throw fail("invalid number") }
        // 1e999 would become infinity, which JSON cannot write back (it would print as null).
        guard d.isFinite else { throw fail("number out of range") }
        return d
    }
}

// MARK: - Encoding

extension JSON {
    /// The compact UTF-8 JSON encoding of this value (object keys sorted, so equal values encode equally).
    public func encoded() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    /// The compact JSON text of this value.
    public var jsonString: String { String(decoding: encoded(), as: UTF8.self) }

    /// Appends the compact encoding of this value to `out`.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(true): out.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        case .bool(false): out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        case .number(let n): Self.writeNumber(n, to: &out)
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (k, v) in a.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (k, v) in o.sorted(by: { $0.key < $1.key }) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                Self.writeString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeNumber(_ n: Double, to out: inout [UInt8]) {
        if !n.isFinite {
            out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        } else if n == n.rounded(), abs(n) < 9.0e15 {
            var v = Int64(n)
            if v == 0 { out.append(0x30); return }
            if v < 0 { out.append(UInt8(ascii: "-")); v = -v }
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 24 digits, written backwards
            var count = 0
            withUnsafeMutableBytes(of: &digits) { buf in
                while v > 0 {
                    buf[23 - count] = UInt8(truncatingIfNeeded: v % 10) + 0x30
                    v /= 10
                    count += 1
                }
                out.append(contentsOf: buf[(24 - count)...])
            }
        } else {
            out.append(contentsOf: "\(n)".utf8)
        }
    }

    /// Appends `s` as a JSON string literal (quoted, escaped) to `out`: the one string writer of the
    /// hand-written encoders (run records, the OTLP/JSON exporter).
    public static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { b in
            var start = 0
            for i in 0..<b.count {
                let c = b[i]
                guard c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
                start = i + 1
                switch c {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(0x5C); out.append(c)
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                default:
                    let hex: StaticString = "0123456789abcdef"
                    let h = hex.utf8Start
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, h[Int(c >> 4)], h[Int(c & 0xF)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<b.count]))
        }
        out.append(UInt8(ascii: "\""))
    }
}

// MARK: - Bridging to Codable types

extension JSON {
    /// Encodes a Codable value into a `JSON` value.
    public init(encoding value: some Encodable) throws {
        let data = try JSONCoding.encoder.encode(value)
        self = try JSON(parsing: data)
    }

    /// Decodes this value as `T`.
    public func decode<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try JSONCoding.decoder.decode(T.self, from: Data(encoded()))
    }
}

/// Shared Foundation coders configured the way Tributary's wire formats need them.
enum JSONCoding {
    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, enc in
            var c = enc.singleValueContainer()
            try c.encode(RFC3339.string(from: date))
        }
        return e
    }
    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { dec in
            let c = try dec.singleValueContainer()
            let s = try c.decode(String.self)
            guard let date = RFC3339.date(from: s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an RFC 3339 time: \(s)")
            }
            return date
        }
        return d
    }
}
