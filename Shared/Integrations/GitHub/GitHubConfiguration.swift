import Tributary

/// Where and how to reach GitHub's REST API.
public struct GitHubConfiguration: Sendable {
    /// A token allowed to manage the repository's or organization's hooks.
    public var token: String
    /// The API's base URL without a trailing slash (default `https://api.github.com`).
    public var apiBase: String
    /// How calls are retried.
    public var retryPolicy: RetryPolicy
    /// How long one attempt may take (connecting included: a refused connection is retried until then).
    public var requestTimeout: Duration

    /// A configuration.
    public init(
        token: String, apiBase: String = "https://api.github.com", retryPolicy: RetryPolicy = RetryPolicy(),
        requestTimeout: Duration = .seconds(30)
    ) {
        self.token = token
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.retryPolicy = retryPolicy
        self.requestTimeout = requestTimeout
    }

    /// Reads `GITHUB_TOKEN` (required) and `GITHUB_API_BASE` (optional); the error names the variable.
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> GitHubConfiguration {
        GitHubConfiguration(
            token: try ConfigurationError.required("GITHUB_TOKEN", in: environment),
            apiBase: try ConfigurationError.baseURL("GITHUB_API_BASE", in: environment, default: "https://api.github.com")
        )
    }
}
