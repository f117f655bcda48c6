import Tributary

extension GitHubIntegration: ProviderIntegration {
    /// GitHub: `GITHUB_TOKEN` (registration), `GITHUB_API_BASE`; source keys `owner/repo`; `GitHubEvents.all` for `send`.
    public static let provider = Provider(
        id: "github", name: "GitHub", summary: "GitHub credentials",
        variables: GitHubConfiguration.variables,
        sourceKeys: [
            SourceKeyRule(form: "owner/repo") { key in
                let parts = key.split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
                return SourceState(
                    key: key, sourceId: "github.webhook",
                    params: ["owner": .string(String(parts[0])), "repository": .string(String(parts[1]))], active: true)
            }
        ],
        events: GitHubEvents.all.map(ProviderEvent.init), apiBase: GitHubConfiguration.apiBaseVariable,
        signDelivery: SignedDelivery.github)

    /// Reads `GITHUB_TOKEN` and `GITHUB_API_BASE`.
    public static func build(from environment: ProviderEnvironment) throws(ConfigurationError) -> GitHubIntegration {
        GitHubIntegration(
            configuration: try GitHubConfiguration.build(from: environment), httpClient: environment.httpClient, logger: environment.logger)
    }

    /// The `github.webhook` source.
    public var externalSources: [AnyExternalSource] { [source.erased] }
}

extension IntegrationCatalog {
    /// The GitHub integration.
    public var github: GitHubIntegration {
        get { required(GitHubIntegration.self) }
        set { self[GitHubIntegration.self] = newValue }
    }
}
