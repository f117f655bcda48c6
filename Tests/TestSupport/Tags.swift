import Foundation
import Testing

extension Tag {
    /// The test starts child processes (services, probes, the fake providers' server).
    @Tag public static var processes: Self
    /// The test runs Python (the interop scripts in Tests/Interop).
    @Tag public static var python: Self
    /// The test drives a browser.
    @Tag public static var browser: Self
    /// The test builds a whole package from scratch (minutes): only with `TRIBUTARY_SLOW=1` (`make test-slow`).
    @Tag public static var slow: Self
}

/// Which tests this run includes. `swift test` cannot filter by tag from the command line, so
/// `make test-fast` sets `TRIBUTARY_FAST=1` and every suite or test tagged ``Tag/processes``,
/// ``Tag/python`` or ``Tag/browser`` also carries ``Trait/notInFastRun``.
public enum TestRun {
    /// Whether `TRIBUTARY_FAST` is set to `1` (or `true`, `yes`).
    public static let isFast: Bool = {
        let value = ProcessInfo.processInfo.environment["TRIBUTARY_FAST"]?.lowercased() ?? ""
        return ["1", "true", "yes"].contains(value)
    }()

    /// Whether `TRIBUTARY_SLOW` is set to `1` (or `true`, `yes`): tests tagged ``Tag/slow`` run.
    public static let includesSlow: Bool = {
        let value = ProcessInfo.processInfo.environment["TRIBUTARY_SLOW"]?.lowercased() ?? ""
        return ["1", "true", "yes"].contains(value)
    }()
}

extension Trait where Self == ConditionTrait {
    /// Skips the test in `make test-fast` (`TRIBUTARY_FAST=1`). Goes beside the tag that says why:
    /// `@Suite(.tags(.processes), .notInFastRun)`.
    public static var notInFastRun: Self {
        .disabled(if: TestRun.isFast, "TRIBUTARY_FAST=1 (make test-fast) leaves out tests tagged processes, python or browser")
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only with `TRIBUTARY_SLOW=1` (`make test-slow`). Goes beside ``Tag/slow``.
    public static var onlyInSlowRun: Self {
        .enabled(if: TestRun.includesSlow, "a slow test (it builds a package from scratch): TRIBUTARY_SLOW=1 (make test-slow) runs it")
    }
}
