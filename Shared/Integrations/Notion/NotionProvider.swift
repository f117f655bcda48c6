import Tributary

extension NotionIntegration: ProviderIntegration {
    /// Notion: `NOTION_TOKEN` (polling), `NOTION_API_BASE`; polled database sources (`notion.<database id>`,
    /// declared by jobs); `page.created` and `page.updated` for `send`.
    public static let provider = Provider(
        id: "notion", name: "Notion", summary: "Notion credentials (polled database sources)",
        variables: NotionConfiguration.variables,
        events: [ProviderEvent(NotionEvents.pageCreated), ProviderEvent(NotionEvents.pageUpdated)],
        apiBase: NotionConfiguration.apiBaseVariable)

    /// Reads `NOTION_TOKEN` and `NOTION_API_BASE`.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> NotionIntegration {
        NotionIntegration(
            configuration: try NotionConfiguration.build(from: environment), httpClient: environment.httpClient, logger: environment.logger)
    }

    /// The `notion.database` source as an external source (its state; never posted to).
    public var externalSources: [AnyExternalSource] { [source.externalSource.erased] }

    /// The `notion.database` polling source.
    public var pollingSources: [AnyPollingSource] { [source.erased] }
}

extension IntegrationCatalog {
    /// The Notion integration.
    public var notion: NotionIntegration {
        get { required(NotionIntegration.self) }
        set { self[NotionIntegration.self] = newValue }
    }
}
