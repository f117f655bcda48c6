import Tributary

/// GitHub's hook calls as `io` tasks (keys `github.<key>`), for register functions and jobs. The client
/// retries rate limits and 5xx itself (a create only on rate limits), so `io` does not retry them again.
extension GitHubIntegration {
    /// Every hook of `target` (all pages).
    public func listHooks(_ io: IO, _ key: String, on target: GitHubHookOwner) async throws -> [GitHubHook] {
        let client = self.client
        return try await task(io, key, retry: .none) { try await client.allHooks(of: target) }
    }

    /// One hook.
    public func getHook(_ io: IO, _ key: String, on target: GitHubHookOwner, id: Int64) async throws -> GitHubHook {
        let client = self.client
        return try await task(io, key, retry: .none) { try await client.hook(on: target, id: id) }
    }

    /// Creates a JSON hook signed with `secret` (never recorded: GitHub does not return it).
    public func createHook(
        _ io: IO, _ key: String, on target: GitHubHookOwner, url: String, events: [String], secret: String
    ) async throws -> GitHubHook {
        let client = self.client
        return try await task(io, key, retry: .none) { try await client.createHook(on: target, url: url, events: events, secret: secret) }
    }

    /// Sets a hook's URL, events, secret and active flag.
    public func updateHook(
        _ io: IO, _ key: String, on target: GitHubHookOwner, id: Int64, url: String, events: [String], secret: String?, active: Bool = true
    ) async throws -> GitHubHook {
        let client = self.client
        return try await task(io, key, retry: .none) {
            try await client.updateHook(on: target, id: id, url: url, events: events, secret: secret, active: active)
        }
    }

    /// Deletes a hook; one already gone counts as deleted.
    public func deleteHook(_ io: IO, _ key: String, on target: GitHubHookOwner, id: Int64) async throws {
        let client = self.client
        _ = try await task(io, key, retry: .none) { () async throws -> Bool in
            try await client.deleteHook(on: target, id: id)
            return true
        }
    }
}
