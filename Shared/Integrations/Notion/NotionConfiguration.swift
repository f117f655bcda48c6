import Tributary

/// Where and how to reach Notion's API.
public struct NotionConfiguration: Sendable {
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
        token: String, apiBase: String = "https://api.notion.com", retryPolicy: RetryPolicy = RetryPolicy(),
        requestTimeout: Duration = .seconds(30)
    ) {
        self.token = token
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.retryPolicy = retryPolicy
        self.requestTimeout = requestTimeout
    }

    /// Reads `NOTION_TOKEN` (required) and `NOTION_API_BASE` (optional); the error names the variable.
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> NotionConfiguration {
        NotionConfiguration(
            token: try ConfigurationError.required("NOTION_TOKEN", in: environment),
            apiBase: try ConfigurationError.baseURL("NOTION_API_BASE", in: environment, default: "https://api.notion.com")
        )
    }
}
