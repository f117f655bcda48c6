import Foundation

/// How a task is retried: Trigger.dev's retry options and defaults.
public struct RetryOptions: Sendable, Hashable, Codable {
    /// The maximum number of attempts, including the first.
    public var limit: Int
    /// The growth factor between delays.
    public var factor: Double
    /// The smallest delay.
    public var minTimeout: Duration
    /// The largest delay.
    public var maxTimeout: Duration
    /// Whether delays are multiplied by a random factor in [1, 2).
    public var randomize: Bool

    /// Creates options; the defaults are Trigger.dev's (5 attempts, ×1.8, 1 s to 60 s, randomized).
    public init(
        limit: Int = 5, factor: Double = 1.8, minTimeout: Duration = .seconds(1),
        maxTimeout: Duration = .seconds(60), randomize: Bool = true
    ) {
        self.limit = limit; self.factor = factor; self.minTimeout = minTimeout; self.maxTimeout = maxTimeout
        self.randomize = randomize
    }

    /// No retry: one attempt.
    public static let none = RetryOptions(limit: 1)
    /// Trigger.dev's defaults.
    public static let standard = RetryOptions()
    /// Trigger.dev's `standardBackoff` preset: 8 attempts, ×1.8, 500 ms to 30 s.
    public static let standardBackoff = RetryOptions(limit: 8, factor: 1.8, minTimeout: .milliseconds(500), maxTimeout: .seconds(30))
    /// Trigger.dev's `exponentialBackoff` preset: 8 attempts, ×2, 1 s to 30 s.
    public static let exponentialBackoff = RetryOptions(limit: 8, factor: 2, minTimeout: .seconds(1), maxTimeout: .seconds(30))

    /// The delay before attempt `attempt + 1` after `attempt` failed, or `nil` when no attempt is left.
    /// `random` is in [0, 1) and is only used when `randomize` is set.
    public func delay(afterAttempt attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration? {
        guard attempt < limit else { return nil }
        let minMs = max(minTimeout.milliseconds, 1)
        let r = randomize ? 1 + random : 1
        let ms = (r * minMs * pow(factor, Double(max(attempt - 1, 0)))).rounded()
        return .milliseconds(Int64(min(maxTimeout.milliseconds, ms)))
    }

    enum CodingKeys: String, CodingKey { case limit, factor, minTimeoutInMs, maxTimeoutInMs, randomize }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            limit: try c.decode(Int.self, forKey: .limit), factor: try c.decode(Double.self, forKey: .factor),
            minTimeout: .milliseconds(try c.decode(Int64.self, forKey: .minTimeoutInMs)),
            maxTimeout: .milliseconds(try c.decode(Int64.self, forKey: .maxTimeoutInMs)),
            randomize: try c.decode(Bool.self, forKey: .randomize))
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(limit, forKey: .limit)
        try c.encode(factor, forKey: .factor)
        try c.encode(Int64(minTimeout.milliseconds), forKey: .minTimeoutInMs)
        try c.encode(Int64(maxTimeout.milliseconds), forKey: .maxTimeoutInMs)
        try c.encode(randomize, forKey: .randomize)
    }
}
