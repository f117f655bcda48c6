import Foundation
import Testing
import TributaryConsole

/// How many wrong passwords the console takes.
@Suite struct LoginThrottleTests {
    @Test("the limit of failures in the window refuses further logins until the oldest failure leaves it")
    func window() {
        var throttle = LoginThrottle(limit: 3, window: 60)
        let start = Date(timeIntervalSince1970: 1000)
        for second in 0..<3 {
            #expect(throttle.admit(at: start.addingTimeInterval(Double(second))).allowed)
            throttle.failed(at: start.addingTimeInterval(Double(second)))
        }
        let refused = throttle.admit(at: start.addingTimeInterval(10))
        #expect(!refused.allowed && refused.retryAfter == 50)
        #expect(throttle.admit(at: start.addingTimeInterval(60)).allowed, "the first failure left the window")
    }

    @Test("successes do not count")
    func successes() {
        var throttle = LoginThrottle(limit: 1, window: 60)
        let now = Date()
        for _ in 0..<100 { #expect(throttle.admit(at: now).allowed) }
    }
}
