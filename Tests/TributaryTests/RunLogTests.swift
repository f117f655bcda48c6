import Foundation
import Testing
import Tributary

/// `RunLog`'s byte limit (`RUNNER_LOG_LIMIT`): what a run record keeps of a run's log.
@Suite struct RunLogTests {
    static let t0 = Date(timeIntervalSince1970: 1_796_000_000)

    @Test func linesPastTheLimitAreCountedInOneLastLineNotKept() {
        let log = RunLog(limit: 30)
        log.append(RunLogLine(time: Self.t0, level: "info", message: "0123456789"))  // 10
        log.append(RunLogLine(time: Self.t0, level: "info", message: "abc", metadata: ["k": "vvvvvv"]))  // 10
        log.append(RunLogLine(time: Self.t0.addingTimeInterval(1), level: "info", message: "this one is over the limit"))
        log.append(RunLogLine(time: Self.t0.addingTimeInterval(2), level: "info", message: "x"))  // would fit, but order is kept
        let lines = log.lines
        #expect(lines.map(\.message).prefix(2) == ["0123456789", "abc"])
        #expect(lines.count == 3)
        #expect(lines.last?.level == "warning" && lines.last?.time == Self.t0.addingTimeInterval(1))
        #expect(lines.last?.message.hasPrefix("2 more log lines dropped: over the run's log limit of 30 bytes (RUNNER_LOG_LIMIT)") == true)
    }

    @Test func withoutALimitEverythingIsKeptAndALimitOfZeroKeepsNothing() {
        let unlimited = RunLog()
        for index in 0..<100 { unlimited.append(RunLogLine(time: Self.t0, level: "info", message: "line \(index)")) }
        #expect(unlimited.lines.count == 100)
        let none = RunLog(limit: 0)
        none.append(RunLogLine(time: Self.t0, level: "info", message: "a"))
        #expect(none.lines.map(\.level) == ["warning"])
        #expect(none.lines.first?.message.hasPrefix("1 more log line dropped") == true)
    }
}
