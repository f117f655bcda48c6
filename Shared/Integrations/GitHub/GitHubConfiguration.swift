import Tributary

/// Where and how to reach GitHub's REST API.
public struct GitHubConfiguration: ProviderAPIConfiguration {
    /// `GITHUB_TOKEN` (required to call GitHub).
    public static let credentialVariable = "GITHUB_TOKEN"
    /// `GITHUB_API_BASE` (optional).
    public static let apiBaseVariable = "GITHUB_API_BASE"
    /// `https://api.github.com`.
    public static let defaultAPIBase = "https://api.github.com"

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
        token: String, apiBase: String = GitHubConfiguration.defaultAPIBase, retryPolicy: RetryPolicy = RetryPolicy(),
        requestTimeout: Duration = .seconds(30)
    ) {
        self.token = token
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.retryPolicy = retryPolicy
        self.requestTimeout = requestTimeout
    }

    /// A configuration with this credential and base URL (``ProviderAPIConfiguration``).
    public init(credential: String, apiBase: String) { self.init(token: credential, apiBase: apiBase) }
}
