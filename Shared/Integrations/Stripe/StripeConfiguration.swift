import Tributary

/// Where and how to reach Stripe's API.
public struct StripeConfiguration: Sendable {
    /// The secret API key (`sk_…` or a restricted key allowed to manage webhook endpoints).
    public var apiKey: String
    /// The API's base URL without a trailing slash (default `https://api.stripe.com`).
    public var apiBase: String
    /// How calls are retried.
    public var retryPolicy: RetryPolicy
    /// How long one attempt may take (connecting included: a refused connection is retried until then).
    public var requestTimeout: Duration

    /// A configuration.
    public init(
        apiKey: String, apiBase: String = "https://api.stripe.com", retryPolicy: RetryPolicy = RetryPolicy(),
        requestTimeout: Duration = .seconds(30)
    ) {
        self.apiKey = apiKey
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.retryPolicy = retryPolicy
        self.requestTimeout = requestTimeout
    }

    /// Reads `STRIPE_API_KEY` (required) and `STRIPE_API_BASE` (optional); the error names the variable.
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> StripeConfiguration {
        StripeConfiguration(
            apiKey: try ConfigurationError.required("STRIPE_API_KEY", in: environment),
            apiBase: try ConfigurationError.baseURL("STRIPE_API_BASE", in: environment, default: "https://api.stripe.com")
        )
    }
}
