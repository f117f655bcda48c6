import Foundation

/// The event envelope on `<p>.events`: CloudEvents 1.0 in Kafka binary mode.
///
/// Key `<source>/<event id>`; value the payload JSON; headers `ce_specversion` (`1.0`), `ce_id`,
/// `ce_source`, `ce_type` (the event name), `ce_time` (RFC 3339), `content-type:
/// application/json`, and the extensions `ce_tributarysourcekey` (the source key, when known) and
/// `ce_tributarycontext` (the event context JSON, when not empty). Decoding also accepts
/// structured mode (`content-type: application/cloudevents+json`).
public enum CloudEvent {
    /// The CloudEvents spec version written and accepted.
    public static let specVersion = "1.0"
    /// The extension header carrying the source key.
    public static let sourceKeyHeader = "ce_tributarysourcekey"
    /// The extension header carrying the event context.
    public static let contextHeader = "ce_tributarycontext"

    private static let specVersionBytes = Array("1.0".utf8)
    private static let jsonBytes = Array("application/json".utf8)

    /// Encodes an event in binary mode.
    public static func encode(_ e: EventRecord) -> WireRecord {
        var headers = [WireHeader]()
        headers.reserveCapacity(8)
        headers.append(WireHeader("ce_specversion", specVersionBytes))
        headers.append(WireHeader("ce_id", e.id))
        headers.append(WireHeader("ce_source", e.source))
        headers.append(WireHeader("ce_type", e.name))
        headers.append(WireHeader("ce_time", RFC3339.string(from: e.timestamp)))
        headers.append(WireHeader("content-type", jsonBytes))
        if let k = e.sourceKey { headers.append(WireHeader(sourceKeyHeader, k)) }
        if !(e.context.objectValue?.isEmpty ?? e.context.isNull) {
            headers.append(WireHeader(contextHeader, e.context.encoded()))
        }
        return WireRecord(key: Array(e.key.utf8), value: e.payloadBytes ?? e.payload.encoded(), headers: headers)
    }

    /// Decodes an event in binary or structured mode, or throws why the record is not a CloudEvent.
    /// `receivedAt` stands in for a missing `time`.
    public static func decode(_ r: WireRecord, receivedAt: Date = Date()) throws(WireFormatError) -> EventRecord {
        if let sv = r.headerString("ce_specversion") {
            return try decodeBinary(r, specVersion: sv, receivedAt: receivedAt)
        }
        if let ct = r.headerString("content-type") ?? r.headerString("Content-Type"),
            ct.lowercased().hasPrefix("application/cloudevents+json")
        {
            return try decodeStructured(r, receivedAt: receivedAt)
        }
        // Some producers (the official Python SDK among them) send structured mode with the data's
        // content type in `content-type`: a JSON object carrying `specversion` is taken as structured.
        if let value = r.value, Self.mentionsSpecVersion(value) {
            return try decodeStructured(r, receivedAt: receivedAt)
        }
        throw WireFormatError("not a CloudEvent: no ce_specversion header and not application/cloudevents+json")
    }

    private static func decodeBinary(_ r: WireRecord, specVersion: String, receivedAt: Date) throws(WireFormatError) -> EventRecord {
        guard specVersion == Self.specVersion else { throw WireFormatError("unsupported CloudEvents specversion \(specVersion)") }
        func required(_ name: String) throws(WireFormatError) -> String {
            guard let v = r.headerString(name), !v.isEmpty else { throw WireFormatError("missing \(name) header") }
            return v
        }
        let id = try required("ce_id")
        let source = try required("ce_source")
        let type = try required("ce_type")
        let time = try parseTime(r.headerString("ce_time"), receivedAt: receivedAt)
        if let ct = r.headerString("content-type"), !isJSON(ct) {
            throw WireFormatError("unsupported content-type \(ct): the payload must be JSON")
        }
        let payload: JSON
        if let v = r.value, !v.isEmpty {
            do { payload = try JSON(parsing: v) } catch { throw WireFormatError("payload is not JSON: \(error)") }
        } else {
            payload = .null
        }
        var context = JSON.object([:])
        if let c = r.header(contextHeader) {
            do { context = try JSON(parsing: c) } catch { throw WireFormatError("\(contextHeader) is not JSON: \(error)") }
        }
        return EventRecord(
            id: id, name: type, source: source, timestamp: time, payload: payload, context: context,
            sourceKey: r.headerString(sourceKeyHeader), payloadBytes: r.value.flatMap { $0.isEmpty ? nil : $0 })
    }

    private static let specVersionKey = Array("\"specversion\"".utf8)

    /// Whether a value looks like a structured CloudEvent: a JSON object with a `"specversion"` key.
    private static func mentionsSpecVersion(_ value: [UInt8]) -> Bool {
        guard value.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{"),
            value.count >= specVersionKey.count
        else { return false }
        for start in 0...(value.count - specVersionKey.count) where value[start] == specVersionKey[0] {
            if value[start..<(start + specVersionKey.count)].elementsEqual(specVersionKey) { return true }
        }
        return false
    }

    private static func decodeStructured(_ r: WireRecord, receivedAt: Date) throws(WireFormatError) -> EventRecord {
        guard let v = r.value else { throw WireFormatError("structured CloudEvent has no value") }
        let doc: JSON
        do { doc = try JSON(parsing: v) } catch { throw WireFormatError("structured CloudEvent is not JSON: \(error)") }
        guard case .object(let o) = doc else { throw WireFormatError("structured CloudEvent is not a JSON object") }
        func required(_ name: String) throws(WireFormatError) -> String {
            guard let s = o[name]?.stringValue, !s.isEmpty else { throw WireFormatError("missing \(name) attribute") }
            return s
        }
        let sv = try required("specversion")
        guard sv == specVersion else { throw WireFormatError("unsupported CloudEvents specversion \(sv)") }
        let id = try required("id")
        let source = try required("source")
        let type = try required("type")
        let time = try parseTime(o["time"]?.stringValue, receivedAt: receivedAt)
        if let ct = o["datacontenttype"]?.stringValue, !isJSON(ct) {
            throw WireFormatError("unsupported datacontenttype \(ct): the payload must be JSON")
        }
        var payload = o["data"] ?? .null
        if o["data"] == nil, let b64 = o["data_base64"]?.stringValue {
            guard let d = Data(base64Encoded: b64) else { throw WireFormatError("data_base64 is not base64") }
            do { payload = try JSON(parsing: d) } catch { throw WireFormatError("data_base64 is not JSON: \(error)") }
        }
        var context = JSON.object([:])
        if let c = o["tributarycontext"] {
            if case .string(let s) = c {
                do { context = try JSON(parsing: s) } catch { throw WireFormatError("tributarycontext is not JSON: \(error)") }
            } else {
                context = c
            }
        }
        return EventRecord(
            id: id, name: type, source: source, timestamp: time, payload: payload, context: context,
            sourceKey: o["tributarysourcekey"]?.stringValue)
    }

    private static func parseTime(_ s: String?, receivedAt: Date) throws(WireFormatError) -> Date {
        guard let s else { return receivedAt }
        guard let d = RFC3339.date(from: s) else { throw WireFormatError("time is not an RFC 3339 timestamp: \(s)") }
        return d
    }

    private static func isJSON(_ contentType: String) -> Bool {
        if contentType == "application/json" { return true }  // what nearly every record says
        // The media type before any `;` parameters, without surrounding blanks, in any case.
        var utf8 = Substring(contentType).utf8
        if let semicolon = utf8.firstIndex(of: UInt8(ascii: ";")) { utf8 = utf8[..<semicolon] }
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        while let first = utf8.first, isBlank(first) { utf8 = utf8.dropFirst() }
        while let last = utf8.last, isBlank(last) { utf8 = utf8.dropLast() }
        let base = String(decoding: utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }, as: UTF8.self)
        return base == "application/json" || base.hasSuffix("+json") || base == "text/json"
    }
}
