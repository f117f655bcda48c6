import Tributary

/// Where and how to reach Shopify's Admin API (REST webhooks of one API version).
public struct ShopifyConfiguration: ProviderAPIConfiguration {
    /// `SHOPIFY_ACCESS_TOKEN`: an Admin API access token (`shpat_…`) with access to the topics' resources.
    public static let credentialVariable = "SHOPIFY_ACCESS_TOKEN"
    /// `SHOPIFY_API_BASE` (optional): `{shop}` stands for the shop's domain; a base without it gets the
    /// domain as its first path segment (a proxy, or the fake in tests).
    public static let apiBaseVariable = "SHOPIFY_API_BASE"
    /// `https://{shop}`.
    public static let defaultAPIBase = "https://{shop}"
    /// The Admin API version called.
    public static let apiVersion = "2024-10"

    /// The token (empty: subscriptions are made by hand).
    public var token: String
    /// The base URL template without a trailing slash.
    public var apiBase: String
    /// How calls are retried.
    public var retryPolicy: RetryPolicy
    /// How long one attempt may take.
    public var requestTimeout: Duration

    /// A configuration.
    public init(
        token: String, apiBase: String = ShopifyConfiguration.defaultAPIBase, retryPolicy: RetryPolicy = RetryPolicy(),
        requestTimeout: Duration = .seconds(30)
    ) {
        self.token = token
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        self.retryPolicy = retryPolicy
        self.requestTimeout = requestTimeout
    }

    /// A configuration with this credential and base URL (``ProviderAPIConfiguration``).
    public init(credential: String, apiBase: String) { self.init(token: credential, apiBase: apiBase) }

    /// The shop's domain for the name in its source key: `acme` is `acme.myshopify.com`; a name with a
    /// dot is a domain already.
    public static func domain(ofShop name: String) -> String { name.contains(".") ? name : name + ".myshopify.com" }

    /// The base URL of `shop`'s Admin API calls.
    public func base(forShop name: String) -> String {
        let domain = Self.domain(ofShop: name)
        return apiBase.contains("{shop}") ? apiBase.replacingOccurrences(of: "{shop}", with: domain) : apiBase + "/" + domain
    }
}
