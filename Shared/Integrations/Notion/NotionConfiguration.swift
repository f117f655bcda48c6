import Tributary

/// Where and how to reach Notion's API.
public struct NotionConfiguration: ProviderAPIConfiguration {
    /// `NOTION_TOKEN` (required to call Notion).
    public static let credentialVariable = "NOTION_TOKEN"
    /// `NOTION_API_BASE` (optional).
    public static let apiBaseVariable = "NOTION_API_BASE"
    /// `https://api.notion.com`.
    public static let defaultAPIBase = "https://api.notion.com"

    /// The `Notion-Version` header sent with every call.
    public static let apiVersion = "2022-06-28"

    /// The integration token (`secret_…` or `ntn_…`), sent as `Authorization: Bearer`.
    public var token: String
    /// The API's base URL without a trailing slash (default `https://api.notion.com`).
    public var apiBase: String
    /// How calls are retried (429 honours `Retry-After`).
    public var retryPolicy: RetryPolicy
    /// How long one attempt may take.
    public var requestTimeout: Duration

    /// A configuration.
    public init(
        token: String, apiBase: String = NotionConfiguration.defaultAPIBase, retryPolicy: RetryPolicy = RetryPolicy(),
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
