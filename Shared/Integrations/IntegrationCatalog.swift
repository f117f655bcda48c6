import AsyncHTTPClient
import Foundation
import Logging
import Tributary

/// The integrations a deployment knows, configured once from the environment: what the receiver
/// (handlers) and the registrar (register functions) look sources up in, by source id.
///
/// Provider credentials are optional here: without `STRIPE_API_KEY` or `GITHUB_TOKEN` handlers still
/// verify webhooks, and registration fails with an error naming the missing variable.
public struct IntegrationCatalog: Sendable {
    public var stripe: StripeIntegration
    public var github: GitHubIntegration
    public var standardWebhooks: StandardWebhooks
    /// Notion (polled database sources).
    public var notion: NotionIntegration
    /// Variables that were missing, by provider id, for registration errors.
    public var missingCredentials: [String: String]

    public init(stripe: StripeIntegration, github: GitHubIntegration, standardWebhooks: StandardWebhooks = StandardWebhooks(),
                notion: NotionIntegration = NotionIntegration(configuration: NotionConfiguration(token: ""))) {
        self.stripe = stripe
        self.github = github
        self.standardWebhooks = standardWebhooks
        self.notion = notion
        self.missingCredentials = [:]
    }

    /// Reads `STRIPE_API_KEY`, `STRIPE_API_BASE`, `GITHUB_TOKEN`, `GITHUB_API_BASE`, `NOTION_TOKEN`, `NOTION_API_BASE`.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "tributary.integrations")
    ) throws(ConfigurationError) -> IntegrationCatalog {
        var missing: [String: String] = [:]
        let stripeConfiguration: StripeConfiguration
        if environment["STRIPE_API_KEY"]?.isEmpty == false {
            stripeConfiguration = try StripeConfiguration.fromEnvironment(environment)
        } else {
            missing["stripe"] = "STRIPE_API_KEY"
            stripeConfiguration = StripeConfiguration(apiKey: "", apiBase: environment["STRIPE_API_BASE"] ?? "https://api.stripe.com")
        }
        let githubConfiguration: GitHubConfiguration
        if environment["GITHUB_TOKEN"]?.isEmpty == false {
            githubConfiguration = try GitHubConfiguration.fromEnvironment(environment)
        } else {
            missing["github"] = "GITHUB_TOKEN"
            githubConfiguration = GitHubConfiguration(token: "", apiBase: environment["GITHUB_API_BASE"] ?? "https://api.github.com")
        }
        let notionConfiguration: NotionConfiguration
        if environment["NOTION_TOKEN"]?.isEmpty == false {
            notionConfiguration = try NotionConfiguration.fromEnvironment(environment)
        } else {
            missing["notion"] = "NOTION_TOKEN"
            notionConfiguration = NotionConfiguration(token: "", apiBase: environment["NOTION_API_BASE"] ?? "https://api.notion.com")
        }
        var catalog = IntegrationCatalog(
            stripe: StripeIntegration(configuration: stripeConfiguration, httpClient: httpClient, logger: logger),
            github: GitHubIntegration(configuration: githubConfiguration, httpClient: httpClient, logger: logger),
            notion: NotionIntegration(configuration: notionConfiguration, httpClient: httpClient, logger: logger))
        catalog.missingCredentials = missing
        return catalog
    }

    /// Every external source, type-erased for the services.
    public var sources: [AnyExternalSource] {
        [stripe.source.erased, github.source.erased, standardWebhooks.source.erased, notion.source.externalSource.erased]
    }

    /// Every polling source, type-erased for the registrar.
    public var pollingSources: [AnyPollingSource] {
        [notion.source.erased]
    }
}
