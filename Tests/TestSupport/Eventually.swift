/// Waits until `condition` holds, checking every 20 ms, or throws ``WaitTimeout`` after `timeout`.
/// Tests wait for a condition with a deadline; they never sleep and hope.
public func eventually(
    _ what: @autoclosure () -> String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw WaitTimeout(what: what(), timeout: timeout)
}

/// A condition that did not hold in time.
public struct WaitTimeout: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public var description: String { "timed out after \(timeout) waiting for: \(what)" }
}
