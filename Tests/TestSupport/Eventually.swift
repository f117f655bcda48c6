/// Waits until `condition` holds, or throws ``WaitTimeout`` after `timeout`. Tests wait for a condition
/// with a deadline; they never sleep and hope.
///
/// It checks after 20 ms, then less often (up to every 100 ms), and never spends more than half its
/// time checking: a check that reads a whole topic must not starve the services the test runs in the
/// same process (the cooperative pool has one thread per core).
public func eventually(
    _ what: @autoclosure () -> String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var pause = Duration.milliseconds(20)
    while clock.now < deadline {
        let started = clock.now
        if try await condition() { return }
        try await Task.sleep(for: max(pause, clock.now - started))
        pause = min(pause * 1.25, .milliseconds(100))
    }
    throw WaitTimeout(what: what(), timeout: timeout)
}

/// A condition that did not hold in time.
public struct WaitTimeout: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public var description: String { "timed out after \(timeout) waiting for: \(what)" }
}
