/// What a GitHub webhook hangs on: a repository (`owner/repo`) or an organization.
public enum GitHubHookOwner: Sendable, Hashable, CustomStringConvertible {
    /// A repository.
    case repository(owner: String, name: String)
    /// An organization.
    case organization(String)

    /// Parses a source key: `owner/repo` is a repository, a bare name an organization.
    public init?(key: String) {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1 where !parts[0].isEmpty: self = .organization(String(parts[0]))
        case 2 where !parts[0].isEmpty && !parts[1].isEmpty: self = .repository(owner: String(parts[0]), name: String(parts[1]))
        default: return nil
        }
    }

    /// The source key: `owner/repo` or the organization.
    public var key: String {
        switch self {
        case .repository(let owner, let name): "\(owner)/\(name)"
        case .organization(let org): org
        }
    }

    /// The API path of its hooks collection.
    public var hooksPath: String {
        switch self {
        case .repository(let owner, let name): "/repos/\(owner)/\(name)/hooks"
        case .organization(let org): "/orgs/\(org)/hooks"
        }
    }

    public var description: String { key }
}
