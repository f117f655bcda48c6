import Tributary

/// Notion's database query as an `io` task (key `notion.<key>`), for polling sources and jobs. The client
/// retries 429 (honouring `Retry-After`) and 5xx itself, so the task is not retried again by `io`.
extension NotionIntegration {
    /// One page of a database query (see `NotionClient.queryDatabase`).
    public func queryDatabase(
        _ io: IO, _ key: String, id databaseId: String, editedOnOrAfter: String?, startCursor: String?
    ) async throws -> NotionQueryResult {
        let client = self.client
        return try await task(io, key, retry: .none) {
            try await client.queryDatabase(id: databaseId, editedOnOrAfter: editedOnOrAfter, startCursor: startCursor)
        }
    }
}
