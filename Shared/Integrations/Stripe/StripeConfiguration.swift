import Tributary

/// Where and how to reach Stripe's API.
public struct StripeConfiguration: ProviderAPIConfiguration {
    /// `STRIPE_API_KEY` (required to call Stripe).
    public static let credentialVariable = "STRIPE_API_KEY"
    /// `STRIPE_API_BASE` (optional).
    public static let apiBaseVariable = "STRIPE_API_BASE"
    /// `https://api.stripe.com`.
    public static let defaultAPIBase = "https://api.stripe.com"

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
        apiKey: String, apiBase: String = StripeConfiguration.defaultAPIBase, retryPolicy: RetryPolicy = RetryPolicy(),
        requestTimeout: Duration = .seconds(30)
    ) {
        self.apiKey = apiKey
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.retryPolicy = retryPolicy
        self.requestTimeout = requestTimeout
    }

    /// A configuration with this credential and base URL (``ProviderAPIConfiguration``).
    public init(credential: String, apiBase: String) { self.init(apiKey: credential, apiBase: apiBase) }
}
