/// A provider API call that failed for good (after any retries).
public struct ProviderAPIError: Error, Sendable, CustomStringConvertible {
    /// The provider ("Stripe", "GitHub").
    public var provider: String
    /// The call, e.g. `POST /v1/webhook_endpoints`.
    public var operation: String
    /// The HTTP status, or nil when no answer came (transport error).
    public var status: Int?
    /// The provider's own error message, or the transport error's description.
    public var message: String
    /// The provider's `Retry-After` on the last answer (429, 503), if it sent one.
    public var retryAfter: Duration?

    /// An error.
    public init(provider: String, operation: String, status: Int?, message: String, retryAfter: Duration? = nil) {
        self.provider = provider
        self.operation = operation
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    /// True for a 404: the object is gone.
    public var isNotFound: Bool { status == 404 }

    /// True when trying again later may succeed (429, 5xx, no answer).
    public var isTransient: Bool { status.map { $0 == 429 || $0 >= 500 } ?? true }

    public var description: String {
        "\(provider) \(operation) failed" + (status.map { " with HTTP \($0)" } ?? "") + ": \(message)"
    }
}
