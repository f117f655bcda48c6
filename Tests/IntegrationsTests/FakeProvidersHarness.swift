import FakeProviders
import Foundation
import Testing
@testable import TributaryIntegrations

/// Runs the fake provider APIs on a loopback port for the duration of `body`.
func withFakeProviders<T: Sendable>(
    _ server: FakeProviderServer = FakeProviderServer(),
    _ body: @Sendable (_ server: FakeProviderServer, _ baseURL: String) async throws -> T
) async throws -> T {
    let (urls, continuation) = AsyncStream.makeStream(of: String.self)
    let task = Task {
        try await server.run(port: 0, logLevel: .critical) { continuation.yield($0) }
    }
    defer { task.cancel() }
    let baseURL = try await firstValue(of: urls, within: .seconds(20), what: "the fake providers to listen")
    return try await body(server, baseURL)
}

/// The first element of `stream`, or a failure after `deadline`.
func firstValue<S: AsyncSequence & Sendable>(of stream: S, within deadline: Duration, what: String) async throws -> S.Element
where S.Element: Sendable {
    try await withThrowingTaskGroup(of: S.Element?.self) { group in
        group.addTask {
            for try await value in stream { return value }
            return nil
        }
        group.addTask {
            try await Task.sleep(for: deadline)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw HarnessError("timed out after \(deadline) waiting for \(what)")
        }
        return value
    }
}

/// A failure of the test harness itself.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Fast retries for tests: 4 attempts, 10 ms apart, doubling.
let testRetryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50), maxRetryAfter: .seconds(5))

func stripeClient(_ base: String) -> StripeClient {
    StripeClient(configuration: StripeConfiguration(apiKey: "sk_test_fake", apiBase: base, retryPolicy: testRetryPolicy))
}

func githubClient(_ base: String) -> GitHubClient {
    GitHubClient(configuration: GitHubConfiguration(token: "ghp_fake", apiBase: base, retryPolicy: testRetryPolicy))
}
