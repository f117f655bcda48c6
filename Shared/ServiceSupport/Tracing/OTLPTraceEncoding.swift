import Tracing
import Tributary

/// The OTLP/HTTP request body of a batch of spans: an `ExportTraceServiceRequest`
/// (opentelemetry-proto `collector/trace/v1`) with one resource and one instrumentation scope,
/// written directly as protobuf (`http/protobuf`) or as OTLP/JSON (`http/json`, ids in hex, 64-bit
/// integers as strings, enums as numbers).
struct OTLPTraceEncoding: Sendable {
    /// The resource's attributes (`service.name`, `telemetry.sdk.*`, `OTEL_RESOURCE_ATTRIBUTES`).
    var resource: [(key: String, value: String)]
    /// The instrumentation scope's name and version.
    var scopeName = "tributary"
    var scopeVersion = ProcessMetrics.version

    /// The protobuf encoding.
    func protobuf(_ spans: some Collection<RecordedSpan>) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.bytes.reserveCapacity(256 + spans.count * 400)
        writer.message(1) { resourceSpans in  // ExportTraceServiceRequest.resource_spans
            resourceSpans.message(1) { resource in  // ResourceSpans.resource
                for (key, value) in self.resource {
                    resource.message(1) { $0.keyValue(key, SpanAttribute.string(value)) }  // Resource.attributes
                }
            }
            resourceSpans.message(2) { scopeSpans in  // ResourceSpans.scope_spans
                scopeSpans.message(1) { scope in  // ScopeSpans.scope
                    scope.string(1, scopeName)
                    scope.string(2, scopeVersion)
                }
                for span in spans {
                    scopeSpans.message(2) { $0.span(span) }  // ScopeSpans.spans
                }
            }
        }
        return writer.bytes
    }

    /// The OTLP/JSON encoding.
    func json(_ spans: some Collection<RecordedSpan>) -> [UInt8] {
        var json = JSONTextWriter()
        json.raw("{\"resourceSpans\":[{\"resource\":{\"attributes\":[")
        for (index, (key, value)) in resource.enumerated() {
            if index > 0 { json.raw(",") }
            json.keyValue(key, .string(value))
        }
        json.raw("]},\"scopeSpans\":[{\"scope\":{\"name\":")
        json.string(scopeName)
        json.raw(",\"version\":")
        json.string(scopeVersion)
        json.raw("},\"spans\":[")
        for (index, span) in spans.enumerated() {
            if index > 0 { json.raw(",") }
            json.span(span)
        }
        json.raw("]}]}]}")
        return json.bytes
    }
}

extension SpanKind {
    /// The OTLP `Span.SpanKind` number.
    var otlpNumber: UInt64 {
        switch self {
        case .internal: 1
        case .server: 2
        case .client: 3
        case .producer: 4
        case .consumer: 5
        }
    }
}

extension RecordedSpan {
    /// The OTLP `Span.flags`: the W3C trace flags, and whether the parent is known to be remote.
    var otlpFlags: UInt32 {
        var flags = UInt32(context.flags) | 0x100  // SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE
        if parent?.isRemote == true { flags |= 0x200 }  // SPAN_FLAGS_CONTEXT_IS_REMOTE
        return flags
    }

    /// The OTLP `Status.code` (0 unset, 1 ok, 2 error) and message.
    var otlpStatus: (code: UInt64, message: String)? {
        guard let status else { return nil }
        return (status.code == .ok ? 1 : 2, status.message ?? "")
    }
}

/// A protobuf writer of the few wire types OTLP uses; a nested message's length is written in
/// front of it once its body is written.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func tag(_ field: UInt64, _ wireType: UInt64) { varint(field << 3 | wireType) }

    mutating func uint(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, 0)
        varint(value)
    }

    mutating func fixed64(_ field: UInt64, _ value: UInt64) {
        tag(field, 1)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func fixed32(_ field: UInt64, _ value: UInt32) {
        tag(field, 5)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func double(_ field: UInt64, _ value: Double) {
        tag(field, 1)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ field: UInt64, _ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            tag(field, 2)
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// A bytes field of one big-endian 64-bit id (a span id).
    mutating func ids(_ field: UInt64, _ value: UInt64) {
        tag(field, 2)
        varint(8)
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// A bytes field of two big-endian 64-bit halves (a trace id); not variadic, which would make an
    /// array per call.
    mutating func ids(_ field: UInt64, _ high: UInt64, _ low: UInt64) {
        tag(field, 2)
        varint(16)
        withUnsafeBytes(of: high.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: low.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// A nested message: its body, then its length put in front of it. One byte is kept for the
    /// length, which is enough for the small messages (attributes, values) that most are; a longer
    /// body moves once to make room.
    mutating func message(_ field: UInt64, _ body: (inout ProtobufWriter) -> Void) {
        tag(field, 2)
        bytes.append(0)
        let start = bytes.count
        body(&self)
        let length = bytes.count - start
        if length < 0x80 {
            bytes[start - 1] = UInt8(length)
        } else {
            // The varint in a word on the stack (a length needs at most 5 of its bytes), not an array.
            var prefix: UInt64 = 0
            var count = 0
            var rest = UInt64(length)
            while rest >= 0x80 {
                prefix |= (rest & 0x7f | 0x80) << (8 * UInt64(count))
                rest >>= 7
                count += 1
            }
            prefix |= rest << (8 * UInt64(count))
            count += 1
            withUnsafeBytes(of: prefix.littleEndian) { word in
                bytes.replaceSubrange((start - 1)..<start, with: word.prefix(count))
            }
        }
    }

    /// A `KeyValue` body.
    mutating func keyValue(_ key: String, _ value: SpanAttribute) {
        string(1, key)
        message(2) { $0.anyValue(value) }
    }

    /// A `KeyValue` body of a listed attribute.
    mutating func keyValue(_ key: String, _ value: OTLPAttribute.Value) {
        string(1, key)
        message(2) { anyValue in
            switch value {
            case .string(let text): anyValue.string(1, text)
            case .bool(let flag):
                anyValue.tag(2, 0)
                anyValue.varint(flag ? 1 : 0)
            case .int64(let number):
                anyValue.tag(3, 0)
                anyValue.varint(UInt64(bitPattern: number))
            case .double(let number): anyValue.double(4, number)
            }
        }
    }

    /// An `AnyValue` body.
    mutating func anyValue(_ value: SpanAttribute) {
        switch value {
        case .string(let text): string(1, text)
        case .bool(let flag):
            tag(2, 0)
            varint(flag ? 1 : 0)
        case .int32(let number):
            tag(3, 0)
            varint(UInt64(bitPattern: Int64(number)))
        case .int64(let number):
            tag(3, 0)
            varint(UInt64(bitPattern: number))
        case .double(let number): double(4, number)
        case .stringArray(let items): array(items.map { .string($0) })
        case .boolArray(let items): array(items.map { .bool($0) })
        case .int32Array(let items): array(items.map { .int32($0) })
        case .int64Array(let items): array(items.map { .int64($0) })
        case .doubleArray(let items): array(items.map { .double($0) })
        case .stringConvertible(let item): string(1, item.description)
        case .stringConvertibleArray(let items): array(items.map { .string($0.description) })
        default: string(1, "\(value)")
        }
    }

    private mutating func array(_ items: [SpanAttribute]) {
        message(5) { array in  // AnyValue.array_value
            for item in items { array.message(1) { $0.anyValue(item) } }  // ArrayValue.values
        }
    }

    /// The attributes as repeated `KeyValue` in `field`.
    mutating func attributes(_ field: UInt64, _ attributes: SpanAttributes) {
        attributes.forEach { key, value in message(field) { $0.keyValue(key, value) } }
    }

    /// A `Span` body.
    mutating func span(_ span: RecordedSpan) {
        ids(1, span.context.traceIdHigh, span.context.traceIdLow)
        ids(2, span.context.spanId)
        if !span.context.traceState.isEmpty { string(3, span.context.traceState) }
        if let parent = span.parent { ids(4, parent.spanId) }
        string(5, span.name)
        uint(6, span.kind.otlpNumber)
        fixed64(7, span.startNanoseconds)
        fixed64(8, span.endNanoseconds)
        span.forEachListed { key, value in message(9) { $0.keyValue(key, value) } }
        attributes(9, span.attributes)
        for event in span.events {
            message(11) { event_ in
                event_.fixed64(1, event.nanosecondsSinceEpoch)
                event_.string(2, event.name)
                event_.attributes(3, event.attributes)
            }
        }
        for link in span.links {
            guard let linked = link.context.spanContext else { continue }
            message(13) { link_ in
                link_.ids(1, linked.traceIdHigh, linked.traceIdLow)
                link_.ids(2, linked.spanId)
                if !linked.traceState.isEmpty { link_.string(3, linked.traceState) }
                link_.attributes(4, link.attributes)
                link_.fixed32(6, UInt32(linked.flags) | 0x100 | (linked.isRemote ? 0x200 : 0))
            }
        }
        if let status = span.otlpStatus {
            message(15) { status_ in
                if !status.message.isEmpty { status_.string(2, status.message) }
                status_.uint(3, status.code)
            }
        }
        fixed32(16, span.otlpFlags)
    }
}

/// The OTLP/JSON writer (field names in lowerCamelCase, as the OTLP specification's JSON mapping says).
struct JSONTextWriter {
    var bytes: [UInt8] = []

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ value: String) { JSON.writeString(value, to: &bytes) }

    /// A number written as a JSON string (OTLP/JSON's 64-bit integers).
    mutating func quoted(_ number: UInt64) {
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: String(number).utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func number(_ number: UInt64) { bytes.append(contentsOf: String(number).utf8) }

    mutating func hexIds(_ values: UInt64...) {
        bytes.append(UInt8(ascii: "\""))
        for value in values {
            var shift = 60
            while shift >= 0 {
                bytes.append(Hex.digits[Int((value >> UInt64(shift)) & 0xF)])
                shift -= 4
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func keyValue(_ key: String, _ value: SpanAttribute) {
        raw("{\"key\":")
        string(key)
        raw(",\"value\":")
        anyValue(value)
        raw("}")
    }

    mutating func anyValue(_ value: SpanAttribute) {
        switch value {
        case .string(let text):
            raw("{\"stringValue\":")
            string(text)
            raw("}")
        case .bool(let flag): flag ? raw("{\"boolValue\":true}") : raw("{\"boolValue\":false}")
        case .int32(let number):
            raw("{\"intValue\":")
            bytes.append(contentsOf: "\"\(number)\"".utf8)
            raw("}")
        case .int64(let number):
            raw("{\"intValue\":")
            bytes.append(contentsOf: "\"\(number)\"".utf8)
            raw("}")
        case .double(let number):
            raw("{\"doubleValue\":")
            number.isFinite ? bytes.append(contentsOf: "\(number)".utf8) : string("\(number)")
            raw("}")
        case .stringArray(let items): array(items.map { .string($0) })
        case .boolArray(let items): array(items.map { .bool($0) })
        case .int32Array(let items): array(items.map { .int32($0) })
        case .int64Array(let items): array(items.map { .int64($0) })
        case .doubleArray(let items): array(items.map { .double($0) })
        case .stringConvertible(let item): anyValue(.string(item.description))
        case .stringConvertibleArray(let items): array(items.map { .string($0.description) })
        default: anyValue(.string("\(value)"))
        }
    }

    private mutating func array(_ items: [SpanAttribute]) {
        raw("{\"arrayValue\":{\"values\":[")
        for (index, item) in items.enumerated() {
            if index > 0 { raw(",") }
            anyValue(item)
        }
        raw("]}}")
    }

    mutating func attributes(_ attributes: SpanAttributes) {
        raw("[")
        var first = true
        members(attributes, &first)
        raw("]")
    }

    /// A span's attributes, its list's and its dictionary's.
    mutating func attributes(of span: RecordedSpan) {
        raw("[")
        var first = true
        span.forEachListed { key, value in
            separate(&first)
            keyValue(key, value.spanAttribute)
        }
        members(span.attributes, &first)
        raw("]")
    }

    /// The `KeyValue` objects of `attributes`, each after a comma but the first of the array.
    private mutating func members(_ attributes: SpanAttributes, _ first: inout Bool) {
        attributes.forEach { key, value in
            separate(&first)
            keyValue(key, value)
        }
    }

    /// A comma, unless this is the array's first item.
    private mutating func separate(_ first: inout Bool) {
        if !first { raw(",") }
        first = false
    }

    mutating func span(_ span: RecordedSpan) {
        raw("{\"traceId\":")
        hexIds(span.context.traceIdHigh, span.context.traceIdLow)
        raw(",\"spanId\":")
        hexIds(span.context.spanId)
        if !span.context.traceState.isEmpty {
            raw(",\"traceState\":")
            string(span.context.traceState)
        }
        if let parent = span.parent {
            raw(",\"parentSpanId\":")
            hexIds(parent.spanId)
        }
        raw(",\"flags\":")
        number(UInt64(span.otlpFlags))
        raw(",\"name\":")
        string(span.name)
        raw(",\"kind\":")
        number(span.kind.otlpNumber)
        raw(",\"startTimeUnixNano\":")
        quoted(span.startNanoseconds)
        raw(",\"endTimeUnixNano\":")
        quoted(span.endNanoseconds)
        raw(",\"attributes\":")
        attributes(of: span)
        raw(",\"events\":[")
        for (index, event) in span.events.enumerated() {
            if index > 0 { raw(",") }
            raw("{\"timeUnixNano\":")
            quoted(event.nanosecondsSinceEpoch)
            raw(",\"name\":")
            string(event.name)
            raw(",\"attributes\":")
            attributes(event.attributes)
            raw("}")
        }
        raw("],\"links\":[")
        var first = true
        for link in span.links {
            guard let linked = link.context.spanContext else { continue }
            if !first { raw(",") }
            first = false
            raw("{\"traceId\":")
            hexIds(linked.traceIdHigh, linked.traceIdLow)
            raw(",\"spanId\":")
            hexIds(linked.spanId)
            raw(",\"attributes\":")
            attributes(link.attributes)
            raw("}")
        }
        raw("]")
        if let status = span.otlpStatus {
            raw(",\"status\":{\"code\":")
            number(status.code)
            if !status.message.isEmpty {
                raw(",\"message\":")
                string(status.message)
            }
            raw("}")
        }
        raw("}")
    }
}
