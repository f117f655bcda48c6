import ServiceSupport

/// W3C Trace Context `traceparent`: carried from the webhook request when valid, started otherwise.
enum TraceParent {
    /// The request's `traceparent` if well-formed (version 00, lowercase hex, non-zero ids), else a
    /// new one, sampled. One allocation for a new one, none to check a carried one (this runs for
    /// every webhook, traced or not).
    static func carryOrStart(_ header: String?) -> String {
        if let header, isValid(header) { return header }
        return SpanContext.root(sampled: true).traceparent
    }

    /// Whether `value` is a version-00 `traceparent`: 55 bytes, `00-<32 hex>-<16 hex>-<2 hex>`,
    /// lowercase, neither id all zeros.
    static func isValid(_ value: String) -> Bool {
        value.utf8.starts(with: "00-".utf8) && SpanContext(traceparent: value) != nil
    }
}
