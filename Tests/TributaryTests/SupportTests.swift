import Foundation
import Testing
import Tributary

/// What every module shares from `Shared/Tributary/Support`: duration conversions and the configuration error.
@Suite struct SupportTests {
    @Test func durationsConvertToSecondsMillisecondsAndNanoseconds() {
        let d = Duration.milliseconds(1500)
        #expect(d.seconds == 1.5)
        #expect(d.milliseconds == 1500)
        #expect(d.nanoseconds == 1_500_000_000)
        let small = Duration.microseconds(1500)
        #expect(small.milliseconds == 1.5)
        let long = Duration.seconds(86_400 * 7)
        #expect(long.seconds == 604_800)
        let negative = Duration.milliseconds(-250)
        #expect(negative.seconds == -0.25)
    }

    @Test func secondsBecomeWholeMillisecondsRoundedTowardZeroUnlessTold() {
        let truncated = Duration(seconds: 1.2345)
        let roundedUp = Duration(seconds: 1.2341, rounding: .up)
        let interval = Duration(seconds: TimeInterval(60))
        #expect(truncated == .milliseconds(1234))
        #expect(roundedUp == .milliseconds(1235))
        #expect(interval == .seconds(60))
        let back = Duration(seconds: Duration.milliseconds(250).seconds)
        #expect(back == .milliseconds(250))
    }

    @Test func aConfigurationErrorNamesItsVariable() {
        let problem = ConfigurationError(variable: "STRIPE_API_KEY", problem: "is not set")
        #expect(problem.variable == "STRIPE_API_KEY")
        #expect(problem.description == "STRIPE_API_KEY: is not set")
        let written = ConfigurationError("LOG_LEVEL=loud is not a level", variable: "LOG_LEVEL")
        #expect(written.variable == "LOG_LEVEL")
        #expect(written.message == "LOG_LEVEL=loud is not a level")
        let general = ConfigurationError("two jobs have the id 'a'")
        #expect(general.variable == nil)
        #expect("\(general)" == "two jobs have the id 'a'")
    }
}
