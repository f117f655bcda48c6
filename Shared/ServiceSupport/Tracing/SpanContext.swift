import ServiceContextModule
import Synchronization

/// The identity of a span as W3C Trace Context carries it: a 16-byte trace id, an 8-byte span id,
/// the trace flags (bit 0: sampled) and the vendor `tracestate`, and whether it came from another
/// process (a `traceparent` header) or was started here.
public struct SpanContext: Sendable, Hashable {
    /// The trace id's high and low 8 bytes (big-endian on the wire); never both zero.
    public var traceIdHigh: UInt64
    public var traceIdLow: UInt64
    /// The span id; never zero.
    public var spanId: UInt64
    /// The W3C trace flags; bit 0 is `sampled`.
    public var flags: UInt8
    /// The W3C `tracestate`, carried as is (empty: none).
    public var traceState: String
    /// Whether the context was read from a carrier (another process started the span).
    public var isRemote: Bool

    /// Whether the trace is sampled (exported).
    public var isSampled: Bool { flags & 1 == 1 }

    /// The trace id as 32 lowercase hex digits.
    public var traceIdHex: String { Hex.string(traceIdHigh, traceIdLow) }
    /// The span id as 16 lowercase hex digits.
    public var spanIdHex: String { Hex.string(spanId) }

    /// The W3C `traceparent` value: `00-<trace id>-<span id>-<flags>`.
    public var traceparent: String {
        String(unsafeUninitializedCapacity: 55) { buffer in
            var index = 0
            func put(_ byte: UInt8) {
                buffer[index] = byte
                index += 1
            }
            put(UInt8(ascii: "0"))
            put(UInt8(ascii: "0"))
            put(UInt8(ascii: "-"))
            Hex.write(traceIdHigh, into: buffer, at: &index)
            Hex.write(traceIdLow, into: buffer, at: &index)
            put(UInt8(ascii: "-"))
            Hex.write(spanId, into: buffer, at: &index)
            put(UInt8(ascii: "-"))
            put(Hex.digits[Int(flags >> 4)])
            put(Hex.digits[Int(flags & 0xF)])
            return index
        }
    }

    /// A new root context (a new trace id and span id, no parent), sampled or not; ids from the
    /// process's ``SpanIdGenerator`` (no system call).
    public static func root(sampled: Bool) -> SpanContext {
        SpanContext(
            traceIdHigh: rootIds.next(), traceIdLow: rootIds.next(), spanId: rootIds.next(), flags: sampled ? 1 : 0)
    }

    private static let rootIds = SpanIdGenerator()

    /// The context of a W3C `traceparent` value (version 00; any later version read by its first four
    /// fields, as the specification says), or nil when it is malformed or an id is all zeros.
    public init?(traceparent: String, traceState: String = "") {
        var value = traceparent
        let parsed: (UInt64, UInt64, UInt64, UInt8)? = value.withUTF8 { bytes in
            guard bytes.count >= 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-")
            else { return nil }
            guard let version = Hex.parse(bytes, from: 0, count: 2), version != 0xFF else { return nil }
            // Version 00 is exactly 55 bytes; a later version may append fields after a dash.
            guard bytes.count == 55 || (version > 0 && bytes[55] == UInt8(ascii: "-")) else { return nil }
            guard let high = Hex.parse(bytes, from: 3, count: 16), let low = Hex.parse(bytes, from: 19, count: 16),
                let span = Hex.parse(bytes, from: 36, count: 16), let flags = Hex.parse(bytes, from: 53, count: 2)
            else { return nil }
            guard high != 0 || low != 0, span != 0 else { return nil }
            return (high, low, span, UInt8(flags))
        }
        guard let parsed else { return nil }
        self.init(
            traceIdHigh: parsed.0, traceIdLow: parsed.1, spanId: parsed.2, flags: parsed.3, traceState: traceState, isRemote: true)
    }

    /// A context from its parts.
    public init(traceIdHigh: UInt64, traceIdLow: UInt64, spanId: UInt64, flags: UInt8, traceState: String = "", isRemote: Bool = false) {
        self.traceIdHigh = traceIdHigh
        self.traceIdLow = traceIdLow
        self.spanId = spanId
        self.flags = flags
        self.traceState = traceState
        self.isRemote = isRemote
    }
}

/// The service-context key of the current span's ``SpanContext`` (set by ``OTLPTracer``).
enum SpanContextKey: ServiceContextKey {
    typealias Value = SpanContext
    static let nameOverride: String? = "tributary.span-context"
}

extension ServiceContext {
    /// The span context of the span this context belongs to, if a span was started or extracted.
    public var spanContext: SpanContext? {
        get { self[SpanContextKey.self] }
        set { self[SpanContextKey.self] = newValue }
    }
}

/// Random trace and span ids: SplitMix64 over an atomic counter seeded from the system's random
/// source, so ids are unpredictable across processes, unique within one, and cost no system call or
/// lock per span.
final class SpanIdGenerator: Sendable {
    private let state: Atomic<UInt64>

    init() {
        var system = SystemRandomNumberGenerator()
        state = Atomic(system.next())
    }

    /// A non-zero random 64-bit value.
    func next() -> UInt64 {
        while true {
            let seed = state.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            if z != 0 { return z }
        }
    }
}

/// Lowercase hex for ids.
enum Hex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Writes `value` as 16 hex digits at `index`, advancing it.
    static func write(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        var shift = 60
        while shift >= 0 {
            buffer[index] = digits[Int((value >> UInt64(shift)) & 0xF)]
            index += 1
            shift -= 4
        }
    }

    /// The 16 (or 32) hex digits of one (or two) 64-bit values.
    static func string(_ values: UInt64...) -> String {
        String(unsafeUninitializedCapacity: 16 * values.count) { buffer in
            var index = 0
            for value in values { write(value, into: buffer, at: &index) }
            return index
        }
    }

    /// The value of `count` (≤ 16) lowercase hex digits at `from`, nil if one is not a lowercase hex digit.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, count: Int) -> UInt64? {
        var value: UInt64 = 0
        for index in start..<(start + count) {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}
