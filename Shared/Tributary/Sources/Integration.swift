/// An integration with a provider (Stripe, GitHub, …): an id and its configuration (base URL,
/// credentials). The HTTP client lives in the integrations module; every provider call is an
/// `io` task (see `task(_:_:retry:_:)`).
public protocol Integration: Sendable {
    /// The configuration type (base URL, credentials, …).
    associatedtype Configuration: Sendable
    /// The integration id, e.g. `stripe`; prefixes its task keys.
    var id: String { get }
    /// The configuration.
    var configuration: Configuration { get }
}

extension Integration {
    /// Runs a provider call as the task `<id>.<key>` of the run.
    public func task<Output: Codable & Sendable>(
        _ io: IO, _ key: String, retry: RetryOptions = .standardBackoff, _ body: @Sendable () async throws -> Output
    ) async throws -> Output {
        try await io.runTask("\(id).\(key)", retry: retry, body)
    }
}
