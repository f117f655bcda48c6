import AsyncHTTPClient
import Logging
import Tributary

/// The Notion integration: its API client, its polling source for databases (`notion.<database id>`)
/// and triggers on `NotionEvents`.
public struct NotionIntegration: Integration {
    /// `notion`; prefixes task keys.
    public let id: String
    /// Base URL, token and retries.
    public let configuration: NotionConfiguration
    /// The API client.
    public let client: NotionClient

    /// An integration.
    public init(
        id: String = "notion", configuration: NotionConfiguration, httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "tributary.notion")
    ) {
        self.id = id
        self.configuration = configuration
        self.client = NotionClient(configuration: configuration, httpClient: httpClient, logger: logger)
    }

    /// The `notion.database` polling source.
    public var source: PollingSource<NotionSourceParams> {
        NotionDatabaseSource(integration: self).pollingSource
    }

    /// A trigger on `event` (`NotionEvents.pageCreated` or `.pageUpdated`) of the database `databaseId`,
    /// polled every `interval` (default 60 s).
    public func trigger(
        _ event: EventSpecification<NotionPage>, database databaseId: String, interval: Duration? = nil,
        filter: EventFilter = .all
    ) -> Trigger<NotionPage> {
        let seconds = interval?.seconds
        return Trigger(
            event: event, source: source.externalSource,
            params: NotionSourceParams(databaseId: databaseId, intervalSeconds: seconds), filter: filter)
    }
}
