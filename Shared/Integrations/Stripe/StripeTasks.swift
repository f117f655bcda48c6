import Tributary

/// Stripe's webhook endpoint calls as `io` tasks (keys `stripe.<key>`), for register functions and jobs.
/// Each mutating call carries an `Idempotency-Key` derived from the run and the task key. The client
/// retries 429 and 5xx itself (honouring `Retry-After`), so the tasks are not retried again by `io`.
extension StripeIntegration {
    /// Every webhook endpoint of the account (all pages).
    public func listWebhookEndpoints(_ io: IO, _ key: String) async throws -> [StripeWebhookEndpoint] {
        let client = self.client
        return try await task(io, key, retry: .none) { try await client.allWebhookEndpoints() }
    }

    /// One webhook endpoint.
    public func retrieveWebhookEndpoint(_ io: IO, _ key: String, id: String) async throws -> StripeWebhookEndpoint {
        let client = self.client
        return try await task(io, key, retry: .none) { try await client.retrieveWebhookEndpoint(id: id) }
    }

    /// Creates an endpoint. Its `secret` is set only when the call ran in this attempt: the secret is never
    /// recorded with the task's output, so a replayed task returns the endpoint without it.
    public func createWebhookEndpoint(
        _ io: IO, _ key: String, url: String, enabledEvents: [String], connect: Bool, description: String? = nil
    ) async throws -> StripeWebhookEndpoint {
        let client = self.client
        let idempotencyKey = IdempotencyKey.derive(runId: io.runId, taskKey: "\(id).\(key)")
        let handoff = SecretHandoff()
        var endpoint = try await task(io, key, retry: .none) {
            var created = try await client.createWebhookEndpoint(
                url: url, enabledEvents: enabledEvents, connect: connect, description: description, idempotencyKey: idempotencyKey)
            handoff.put(created.secret)
            created.secret = nil
            return created
        }
        endpoint.secret = handoff.secret
        return endpoint
    }

    /// Sets an endpoint's URL and events and enables (or disables) it.
    public func updateWebhookEndpoint(
        _ io: IO, _ key: String, id endpointId: String, url: String, enabledEvents: [String], disabled: Bool = false
    ) async throws -> StripeWebhookEndpoint {
        let client = self.client
        let idempotencyKey = IdempotencyKey.derive(runId: io.runId, taskKey: "\(id).\(key)")
        return try await task(io, key, retry: .none) {
            try await client.updateWebhookEndpoint(
                id: endpointId, url: url, enabledEvents: enabledEvents, disabled: disabled, idempotencyKey: idempotencyKey)
        }
    }

    /// Deletes an endpoint; one already gone counts as deleted.
    public func deleteWebhookEndpoint(_ io: IO, _ key: String, id endpointId: String) async throws {
        let client = self.client
        let idempotencyKey = IdempotencyKey.derive(runId: io.runId, taskKey: "\(id).\(key)")
        _ = try await task(io, key, retry: .none) { () async throws -> Bool in
            do {
                try await client.deleteWebhookEndpoint(id: endpointId, idempotencyKey: idempotencyKey)
            } catch let error as ProviderAPIError where error.isNotFound {
                // Already gone.
            }
            return true
        }
    }
}
