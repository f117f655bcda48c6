import Foundation
import Tributary

// libFuzzer's entry point for the CloudEvents decoder and the filter evaluator (Tests/Fuzz/fuzz.sh
// builds and runs it; FUZZ_TARGET=cloudevents or filter, else the first byte picks). Any input must
// decode or throw, never crash or hang; a decoded event encodes and decodes back to the same event;
// a filter that parses evaluates any subject to true or false.

/// The target to fuzz alone, or nil to pick by the first byte.
let fixedTarget = ProcessInfo.processInfo.environment["FUZZ_TARGET"]
/// A fixed receive time, so decoding is deterministic.
let receivedAt = Date(timeIntervalSince1970: 1_721_917_438)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEvents(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let rest = Array(bytes.dropFirst())
    // Fields separated by 0x00: for cloudevents key, value, then header name/value pairs; for filter
    // the filter's JSON and the subject's JSON.
    let fields = rest.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
    switch fixedTarget ?? (bytes[0] % 2 == 0 ? "cloudevents" : "filter") {
    case "cloudevents":
        let key = fields.first
        let value = fields.count > 1 ? fields[1] : nil
        var headers: [WireHeader] = []
        var index = 2
        while index + 1 < fields.count {
            headers.append(WireHeader(String(decoding: fields[index], as: UTF8.self), fields[index + 1]))
            index += 2
        }
        guard let event = try? CloudEvent.decode(WireRecord(key: key, value: value, headers: headers), receivedAt: receivedAt) else {
            return 0
        }
        guard let again = try? CloudEvent.decode(CloudEvent.encode(event), receivedAt: receivedAt) else {
            fatalError("a decoded event does not decode after encoding: \(event)")
        }
        if again.id != event.id || again.name != event.name || again.source != event.source || again.payload != event.payload {
            fatalError("the round trip changed \(event) into \(again)")
        }
    default:
        guard let filterJSON = fields.first.flatMap({ try? JSON(parsing: $0) }), let filter = try? EventFilter(json: filterJSON) else {
            return 0
        }
        let subject = fields.count > 1 ? (try? JSON(parsing: fields[1])) : nil
        _ = filter.matches(subject)
    }
    return 0
}
