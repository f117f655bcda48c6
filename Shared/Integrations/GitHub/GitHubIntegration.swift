import AsyncHTTPClient
import Logging
import Tributary

/// The GitHub integration: its API client, its `github.webhook` external source (repository and
/// organization hooks) and triggers on `GitHubEvents`.
public struct GitHubIntegration: Integration {
    /// `github`; prefixes task keys.
    public let id: String
    /// Base URL, token and retries.
    public let configuration: GitHubConfiguration
    /// The API client.
    public let client: GitHubClient

    /// An integration.
    public init(
        id: String = "github", configuration: GitHubConfiguration, httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "tributary.github")
    ) {
        self.id = id
        self.configuration = configuration
        self.client = GitHubClient(configuration: configuration, httpClient: httpClient, logger: logger)
    }

    /// The `github.webhook` external source (handler and register).
    public var source: ExternalSource<GitHubSourceParams> {
        GitHubWebhookSource(integration: self).externalSource
    }

    /// A trigger on `event` from the hook of `target`, limited to `actions` when given (a filter on the
    /// payload's `action`), and to `filter`.
    public func trigger(
        _ event: EventSpecification<JSON>, on target: GitHubHookOwner, actions: [String] = [], filter: EventFilter = .all
    ) -> Trigger<JSON> {
        let actionFilter = actions.isEmpty ? EventFilter.all : EventFilter(["action": .array(actions.map(JSON.string))])
        return Trigger(event: event, source: source, params: GitHubSourceParams(target), filter: EventFilter.merge(actionFilter, filter))
    }
}
