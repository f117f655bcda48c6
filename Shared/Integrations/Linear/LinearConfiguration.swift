import Tributary

/// Where and how to reach Linear's GraphQL API.
public struct LinearConfiguration: ProviderAPIConfiguration {
    /// `LINEAR_API_KEY`: a personal API key (sent as is) or `Bearer <OAuth token>`, of an admin (webhooks need one).
    public static let credentialVariable = "LINEAR_API_KEY"
    /// `LINEAR_API_BASE` (optional); calls go to `<base>/graphql`.
    public static let apiBaseVariable = "LINEAR_API_BASE"
    /// `https://api.linear.app`.
    public static let defaultAPIBase = "https://api.linear.app"

    /// The key (empty: webhooks are made by hand).
    public var apiKey: String
    /// The API's base URL without a trailing slash.
    public var apiBase: String
    /// How calls are retried.
    public var retryPolicy: RetryPolicy
    /// How long one attempt may take.
    public var requestTimeout: Duration

    /// A configuration.
    public init(
        apiKey: String, apiBase: String = LinearConfiguration.defaultAPIBase, retryPolicy: RetryPolicy = RetryPolicy(),
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
