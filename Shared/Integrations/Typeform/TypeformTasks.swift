import Tributary

/// Typeform's webhook calls as `io` tasks (keys `typeform.<key>`), for register functions and jobs. The
/// client retries 429 and 5xx itself, so `io` does not retry them again.
extension TypeformIntegration {
    /// Every webhook of the form.
    public func listWebhooks(_ io: IO, _ key: String, form formId: String) async throws -> [TypeformWebhook] {
        let client = self.client
        return try await task(io, key, retry: .none) { try await client.webhooks(form: formId) }
    }

    /// The webhook `tag` of the form, or nil.
    public func getWebhook(_ io: IO, _ key: String, form formId: String, tag: String) async throws -> TypeformWebhook? {
        let client = self.client
        return try await task(io, key, retry: .none) { try await client.webhook(form: formId, tag: tag) }
    }

    /// Creates or replaces the webhook `tag` with `secret` (never recorded: Typeform does not return it).
    public func putWebhook(
        _ io: IO, _ key: String, form formId: String, tag: String, url: String, events: [String], secret: String
    ) async throws -> TypeformWebhook {
        let client = self.client
        return try await task(io, key, retry: .none) {
            try await client.putWebhook(form: formId, tag: tag, url: url, events: events, secret: secret)
        }
    }

    /// Deletes the webhook `tag`; one already gone counts as deleted.
    public func deleteWebhook(_ io: IO, _ key: String, form formId: String, tag: String) async throws {
        let client = self.client
        _ = try await task(io, key, retry: .none) { () async throws -> Bool in
            try await client.deleteWebhook(form: formId, tag: tag)
            return true
        }
    }
}
