/// The head sampler of `OTEL_TRACES_SAMPLER` (and `OTEL_TRACES_SAMPLER_ARG`), as the OpenTelemetry
/// SDK specification defines them: whether a new span is recorded and exported.
public enum TraceSampler: Sendable, Equatable {
    /// `always_on`: every span.
    case alwaysOn
    /// `always_off`: none.
    case alwaysOff
    /// `traceidratio`: the share `ratio` (0...1) of traces, chosen by the trace id so that every
    /// service keeps or drops the same traces.
    case traceIdRatio(Double)
    /// `parentbased_*`: a span with a parent follows the parent's sampled flag; a root span is
    /// decided by `root`.
    indirect case parentBased(root: TraceSampler)

    /// Whether a span of trace `traceIdLow` with `parent` (nil: a root span) is sampled.
    public func isSampled(parent: SpanContext?, traceIdLow: UInt64) -> Bool {
        switch self {
        case .alwaysOn: return true
        case .alwaysOff: return false
        case .traceIdRatio(let ratio):
            // The low 8 bytes of a random trace id are uniform; keep the lowest `ratio` share of them.
            if ratio >= 1 { return true }
            if ratio <= 0 { return false }
            return traceIdLow >> 1 < UInt64(ratio * 0x1p63)
        case .parentBased(let root):
            if let parent { return parent.isSampled }
            return root.isSampled(parent: nil, traceIdLow: traceIdLow)
        }
    }

    /// The sampler named by `OTEL_TRACES_SAMPLER` (nil: not a known name), with `argument` from
    /// `OTEL_TRACES_SAMPLER_ARG` for the ratio samplers (default 1.0; nil when not a number in 0...1).
    public static func named(_ name: String, argument: String?) -> TraceSampler? {
        let ratio: Double?
        if let argument {
            ratio = Double(argument).flatMap { (0...1).contains($0) ? $0 : nil }
        } else {
            ratio = 1
        }
        switch name {
        case "always_on": return .alwaysOn
        case "always_off": return .alwaysOff
        case "traceidratio": return ratio.map { .traceIdRatio($0) }
        case "parentbased_always_on": return .parentBased(root: .alwaysOn)
        case "parentbased_always_off": return .parentBased(root: .alwaysOff)
        case "parentbased_traceidratio": return ratio.map { .parentBased(root: .traceIdRatio($0)) }
        default: return nil
        }
    }

    /// The names `OTEL_TRACES_SAMPLER` accepts.
    public static let names = [
        "always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio",
    ]
}
