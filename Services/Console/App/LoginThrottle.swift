import Foundation

/// How many wrong passwords the console takes: at most ``limit`` failed logins in any ``window``
/// (over every client: a guesser cannot spread over addresses), after which logins are refused,
/// right password or not, until the oldest failure leaves the window. Pure: times are given.
public struct LoginThrottle: Sendable, Hashable {
    /// Failed logins allowed per window.
    public var limit = 10
    /// The window.
    public var window: TimeInterval = 60
    private var failures: [Date] = []

    /// A throttle with no failures.
    public init(limit: Int = 10, window: TimeInterval = 60) {
        self.limit = limit
        self.window = window
    }

    /// Whether a login may be tried at `now`; when not, how many seconds until one may.
    public mutating func admit(at now: Date) -> (allowed: Bool, retryAfter: Int) {
        failures.removeAll { now.timeIntervalSince($0) >= window }
        guard failures.count >= limit, let oldest = failures.first else { return (true, 0) }
        return (false, max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up))))
    }

    /// Counts a failed login at `now`.
    public mutating func failed(at now: Date) {
        failures.append(now)
    }
}
