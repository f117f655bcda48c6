import Tributary

/// The params of the `github.webhook` source: a repository (`owner` and `repository`) or an
/// organization (`owner` alone).
public struct GitHubSourceParams: Codable, Sendable, Hashable {
    /// The user or organization.
    public var owner: String
    /// The repository name; nil for an organization hook.
    public var repository: String?

    /// Params for a repository or organization.
    public init(_ target: GitHubHookOwner) {
        switch target {
        case .repository(let owner, let name): self.owner = owner; self.repository = name
        case .organization(let org): self.owner = org; self.repository = nil
        }
    }

    /// The hook owner these params name.
    public var target: GitHubHookOwner {
        if let repository { return .repository(owner: owner, name: repository) }
        return .organization(owner)
    }

    /// The source key: `owner/repo` or the organization.
    public var key: String { target.key }

    /// Throws unless owner and repository are non-empty names without `/`.
    public func validate() throws {
        let names = [owner] + (repository.map { [$0] } ?? [])
        for name in names where name.isEmpty || name.contains("/") || name.contains(" ") {
            throw SourceParamsError(sourceId: "github.webhook", message: "'\(name)' is not a GitHub owner or repository name")
        }
    }
}
