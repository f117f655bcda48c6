/// How a provider API call is retried on 429, 5xx and transport errors: exponential backoff with jitter,
/// capped, and never shorter than the provider's `Retry-After`.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The delay before the second attempt; it doubles each time.
    public var baseDelay: Duration
    /// The longest delay between two attempts (a longer `Retry-After` is honoured up to `maxRetryAfter`).
    public var maxDelay: Duration
    /// The longest `Retry-After` we wait for; beyond it the call fails with the provider's answer.
    public var maxRetryAfter: Duration

    /// A policy; the default makes 5 attempts over about 7.5 s.
    public init(
        maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(8),
        maxRetryAfter: Duration = .seconds(60)
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// The delay before attempt `attempt + 1` (`attempt` counts from 1), given the provider's `Retry-After`.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        var backoff = baseDelay * (1 << exponent)
        if backoff > maxDelay { backoff = maxDelay }
        // Full jitter on the upper half, so concurrent registrars spread out.
        let jittered = backoff / 2 + backoff / 2 * Double.random(in: 0...1)
        if let retryAfter { return max(jittered, min(retryAfter, maxRetryAfter)) }
        return jittered
    }
}
