import Tributary

/// Where and how to reach Typeform's Create/Webhooks API.
public struct TypeformConfiguration: ProviderAPIConfiguration {
    /// `TYPEFORM_TOKEN`: a personal access token with the `webhooks:read` and `webhooks:write` scopes.
    public static let credentialVariable = "TYPEFORM_TOKEN"
    /// `TYPEFORM_API_BASE` (optional; `https://api.eu.typeform.com` for EU data centers).
    public static let apiBaseVariable = "TYPEFORM_API_BASE"
    /// `https://api.typeform.com`.
    public static let defaultAPIBase = "https://api.typeform.com"

    /// The token (empty: registration is by hand).
    public var token: String
    /// The API's base URL without a trailing slash.
    public var apiBase: String
    /// How calls are retried.
    public var retryPolicy: RetryPolicy
    /// How long one attempt may take.
    public var requestTimeout: Duration

    /// A configuration.
    public init(
        token: String, apiBase: String = TypeformConfiguration.defaultAPIBase, retryPolicy: RetryPolicy = RetryPolicy(),
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
