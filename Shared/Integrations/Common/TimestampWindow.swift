import Foundation

/// The replay window of a timestamped signature scheme: the signed time must be within `tolerance` of now.
struct TimestampWindow: Sendable {
    var tolerance: Duration

    /// Throws when `timestamp` (Unix seconds) is too old or too far ahead of `now`.
    func check(_ timestamp: Int64, now: Date) throws(WebhookSignatureError) {
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let limit = tolerance.components.seconds
        let age = nowSeconds - timestamp
        if age > limit { throw .timestampTooOld(age: age) }
        if -age > limit { throw .timestampInFuture(ahead: -age) }
    }
}
