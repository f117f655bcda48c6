import Tributary

/// Which deliveries the receiver records on `<p>.deliveries`: every accepted one, and refused ones
/// up to ``limit`` a second per source; the refused ones beyond are counted, and the count rides on
/// the source's next record (``DeliveryRecord/unrecorded``), so forged traffic cannot flood Kafka.
///
/// Refusals for unknown source keys share one bucket (anyone can make up keys), and the table of
/// buckets is bounded: at ``maximumSources`` it forgets the buckets of past seconds.
struct DeliveryThrottle: Sendable {
    /// What to do with one delivery.
    enum Decision: Equatable, Sendable {
        /// Record it, with the refusals of its source counted and not recorded since the last record.
        case record(unrecorded: Int)
        /// Count it, do not record it.
        case count
    }

    /// Refused deliveries recorded per source and second.
    var limit = 100
    /// Buckets kept before the old ones are dropped.
    var maximumSources = 10_000

    private struct Bucket {
        var second: Int64
        var recorded: Int
        var unrecorded: Int
    }

    private var buckets: [String: Bucket] = [:]

    /// How many buckets are kept.
    var bucketCount: Int { buckets.count }

    /// The bucket a refused delivery counts in.
    static func bucket(sourceKey: String, outcome: DeliveryRecord.Outcome) -> String {
        outcome == .unknownSource ? "\u{0}unknown" : sourceKey
    }

    /// Decides for one delivery of `sourceKey` at `second` (whole seconds of any clock).
    mutating func admit(sourceKey: String, outcome: DeliveryRecord.Outcome, second: Int64) -> Decision {
        let key = Self.bucket(sourceKey: sourceKey, outcome: outcome)
        var bucket = buckets[key] ?? Bucket(second: second, recorded: 0, unrecorded: 0)
        if bucket.second != second {
            bucket.second = second
            bucket.recorded = 0
        }
        let decision: Decision
        if outcome.isRefused && bucket.recorded >= limit {
            bucket.unrecorded += 1
            decision = .count
        } else {
            if outcome.isRefused { bucket.recorded += 1 }
            decision = .record(unrecorded: bucket.unrecorded)
            bucket.unrecorded = 0
        }
        if buckets[key] == nil && buckets.count >= maximumSources {
            buckets = buckets.filter { $0.value.second == second }
        }
        buckets[key] = bucket
        return decision
    }
}
