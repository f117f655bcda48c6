import Tributary

/// Linear's webhook calls as `io` tasks (keys `linear.<key>`), for register functions and jobs. The
/// client retries 429 and 5xx itself (a create only on 429), so `io` does not retry them again. No
/// task output holds a secret.
extension LinearIntegration {
    /// The id of the team with `key`.
    public func teamId(_ io: IO, _ key: String, team: String) async throws -> String {
        let client = self.client
        return try await task(io, key, retry: .none) { try await client.teamId(key: team) }
    }

    /// Every webhook (all pages).
    public func listWebhooks(_ io: IO, _ key: String) async throws -> [LinearWebhook] {
        let client = self.client
        return try await task(io, key, retry: .none) { try await client.webhooks() }
    }

    /// One webhook, or nil.
    public func getWebhook(_ io: IO, _ key: String, id: String) async throws -> LinearWebhook? {
        let client = self.client
        return try await task(io, key, retry: .none) { try await client.webhook(id: id) }
    }

    /// Creates a webhook signed with `secret`; the answer's secret, when Linear sends one, is in the
    /// returned value only in this attempt (see ``SecretHandoff``).
    public func createWebhook(
        _ io: IO, _ key: String, url: String, teamId: String, resourceTypes: [String], secret: String, label: String
    ) async throws -> LinearWebhook {
        let client = self.client
        let handoff = SecretHandoff()
        var webhook = try await task(io, key, retry: .none) {
            var created = try await client.createWebhook(
                url: url, teamId: teamId, resourceTypes: resourceTypes, secret: secret, label: label)
            handoff.put(created.secret)
            created.secret = nil
            return created
        }
        webhook.secret = handoff.secret
        return webhook
    }

    /// Sets a webhook's URL, resource types and secret, and enables it.
    public func updateWebhook(
        _ io: IO, _ key: String, id: String, url: String, resourceTypes: [String], secret: String
    ) async throws -> LinearWebhook {
        let client = self.client
        let handoff = SecretHandoff()
        var webhook = try await task(io, key, retry: .none) {
            var updated = try await client.updateWebhook(id: id, url: url, resourceTypes: resourceTypes, secret: secret)
            handoff.put(updated.secret)
            updated.secret = nil
            return updated
        }
        webhook.secret = handoff.secret
        return webhook
    }

    /// Deletes a webhook; one already gone counts as deleted.
    public func deleteWebhook(_ io: IO, _ key: String, id: String) async throws {
        let client = self.client
        _ = try await task(io, key, retry: .none) { () async throws -> Bool in
            try await client.deleteWebhook(id: id)
            return true
        }
    }
}
