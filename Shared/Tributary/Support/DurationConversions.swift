import Foundation

/// The conversions between `Duration` and plain numbers that `Date` arithmetic, timeouts, wire
/// formats and metrics need, written once.
extension Duration {
    /// The duration in seconds, with its fraction: `Duration.milliseconds(1500).seconds == 1.5`
    /// (a `TimeInterval`, for `Date.addingTimeInterval`).
    public var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    /// The duration in milliseconds, with its fraction: `Duration.microseconds(1500).milliseconds == 1.5`.
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// The duration in whole nanoseconds, rounded toward zero (for metrics and NIO's `TimeAmount`).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// A duration of `seconds` (e.g. a `TimeInterval` between two dates) in whole milliseconds,
    /// rounded by `rule` (toward zero unless told): `Duration(seconds: 1.2345) == .milliseconds(1234)`.
    public init(seconds: TimeInterval, rounding rule: FloatingPointRoundingRule = .towardZero) {
        self = .milliseconds(Int64((seconds * 1000).rounded(rule)))
    }
}
