/// W3C Trace Context `traceparent`: carried from the webhook request when valid, started otherwise.
enum TraceParent {
    /// The request's `traceparent` if well-formed (version 00, non-zero ids), else a new one, sampled.
    static func carryOrStart(_ header: String?) -> String {
        if let header, isValid(header) { return header }
        var generator = SystemRandomNumberGenerator()
        let trace = hex(generator.next()) + hex(generator.next())
        let span = hex(generator.next())
        return "00-\(trace)-\(span)-01"
    }

    static func isValid(_ value: String) -> Bool {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00", parts[1].count == 32, parts[2].count == 16, parts[3].count == 2 else {
            return false
        }
        let isHex = { (part: Substring) in part.allSatisfy { $0.isHexDigit && !$0.isUppercase } }
        guard parts.allSatisfy(isHex) else { return false }
        return parts[1] != Substring(String(repeating: "0", count: 32)) && parts[2] != Substring(String(repeating: "0", count: 16))
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
