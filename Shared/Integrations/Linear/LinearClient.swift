import AsyncHTTPClient
import Foundation
import Logging

/// The part of Linear's GraphQL API (`POST <base>/graphql`) that webhook registration needs: the
/// `teams` query (a team's id by key), `webhooks` through every page (`pageInfo`), `webhook(id:)`, and
/// `webhookCreate` / `webhookUpdate` / `webhookDelete` with our signing secret. 429 and 5xx are
/// retried, a create only on 429 (no idempotency key: the caller lists again); a GraphQL error answer
/// (`errors`) is a `ProviderAPIError` with Linear's message, `RATELIMITED` counting as a 429.
public struct LinearClient: Sendable {
    /// Where and how to call.
    public let configuration: LinearConfiguration
    private let api: ProviderJSONAPI

    /// A client over `httpClient`.
    public init(configuration: LinearConfiguration, httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "tributary.linear")) {
        self.configuration = configuration
        self.api = ProviderJSONAPI(
            provider: "Linear", base: configuration.apiBase, headers: [("Authorization", configuration.apiKey)],
            retryPolicy: configuration.retryPolicy, timeout: configuration.requestTimeout, httpClient: httpClient, logger: logger,
            errorMessage: Self.errorMessage)
    }

    static let fields = "id url enabled resourceTypes team { id key }"

    /// The id of the team with `key` (e.g. `ENG`), or of the team whose id is `key`.
    public func teamId(key: String) async throws -> String {
        struct Data: Decodable { struct Teams: Decodable { var nodes: [LinearWebhook.Team] }; var teams: Teams }
        let data: Data = try await call(
            "teams", "query Teams($key: String!) { teams(filter: { key: { eqIgnoreCase: $key } }) { nodes { id key } } }",
            ["key": key])
        if let team = data.teams.nodes.first { return team.id }
        throw ProviderAPIError(provider: "Linear", operation: "query teams", status: 200, message: "no team has the key \(key)")
    }

    /// Every webhook the key can see, through all pages.
    public func webhooks() async throws -> [LinearWebhook] {
        struct Data: Decodable {
            struct Page: Decodable { var hasNextPage: Bool; var endCursor: String? }
            struct Connection: Decodable { var nodes: [LinearWebhook]; var pageInfo: Page }
            var webhooks: Connection
        }
        var all: [LinearWebhook] = []
        var cursor: String?
        while true {
            var variables: [String: String] = [:]
            if let cursor { variables["after"] = cursor }
            let data: Data = try await call(
                "webhooks",
                "query Webhooks($after: String) { webhooks(first: 50, after: $after) { nodes { \(Self.fields) } pageInfo { hasNextPage endCursor } } }",
                variables)
            all += data.webhooks.nodes
            guard data.webhooks.pageInfo.hasNextPage, let next = data.webhooks.pageInfo.endCursor, next != cursor else { return all }
            cursor = next
        }
    }

    /// One webhook, or nil when it is gone.
    public func webhook(id: String) async throws -> LinearWebhook? {
        struct Data: Decodable { var webhook: LinearWebhook? }
        do {
            let data: Data = try await call("webhook", "query Webhook($id: String!) { webhook(id: $id) { \(Self.fields) } }", ["id": id])
            return data.webhook
        } catch let error as ProviderAPIError where error.isNotFound {
            return nil
        }
    }

    /// Creates a webhook of `teamId` for `resourceTypes` at `url`, signed with `secret`. Not retried on 5xx.
    public func createWebhook(
        url: String, teamId: String, resourceTypes: [String], secret: String, label: String
    ) async throws -> LinearWebhook {
        struct Data: Decodable { struct Payload: Decodable { var success: Bool; var webhook: LinearWebhook? }; var webhookCreate: Payload }
        let input = Input(url: url, teamId: teamId, resourceTypes: resourceTypes, secret: secret, label: label, enabled: true)
        let data: Data = try await call(
            "webhookCreate",
            "mutation Create($input: WebhookCreateInput!) { webhookCreate(input: $input) { success webhook { \(Self.fields) secret } } }",
            Variables(input: input), retryTransient: false)
        guard data.webhookCreate.success, let webhook = data.webhookCreate.webhook else {
            throw ProviderAPIError(provider: "Linear", operation: "mutation webhookCreate", status: 200, message: "success is false")
        }
        return webhook
    }

    /// Sets a webhook's URL, resource types, secret, and enables it.
    public func updateWebhook(id: String, url: String, resourceTypes: [String], secret: String) async throws -> LinearWebhook {
        struct Data: Decodable { struct Payload: Decodable { var success: Bool; var webhook: LinearWebhook? }; var webhookUpdate: Payload }
        let input = Input(url: url, teamId: nil, resourceTypes: resourceTypes, secret: secret, label: nil, enabled: true)
        let data: Data = try await call(
            "webhookUpdate",
            "mutation Update($id: String!, $input: WebhookUpdateInput!) { webhookUpdate(id: $id, input: $input) { success webhook { \(Self.fields) secret } } }",
            Variables(id: id, input: input))
        guard data.webhookUpdate.success, let webhook = data.webhookUpdate.webhook else {
            throw ProviderAPIError(provider: "Linear", operation: "mutation webhookUpdate", status: 200, message: "success is false")
        }
        return webhook
    }

    /// Deletes a webhook; one already gone counts as deleted.
    public func deleteWebhook(id: String) async throws {
        struct Data: Decodable { struct Payload: Decodable { var success: Bool }; var webhookDelete: Payload }
        do {
            let _: Data = try await call(
                "webhookDelete", "mutation Delete($id: String!) { webhookDelete(id: $id) { success } }", ["id": id])
        } catch let error as ProviderAPIError where error.isNotFound {
            return
        }
    }

    private struct Input: Encodable, Sendable {
        var url: String
        var teamId: String?
        var resourceTypes: [String]
        var secret: String
        var label: String?
        var enabled: Bool
    }

    private struct Variables: Encodable, Sendable {
        var id: String?
        var input: Input
    }

    private struct Request<V: Encodable & Sendable>: Encodable, Sendable {
        var query: String
        var variables: V
    }

    /// One GraphQL call; `errors` in the answer throw (`ENTITY_NOT_FOUND` as a 404, `RATELIMITED` as a 429).
    private func call<V: Encodable & Sendable, D: Decodable>(
        _ operation: String, _ query: String, _ variables: V, retryTransient: Bool = true
    ) async throws -> D {
        for attempt in 1...max(configuration.retryPolicy.maxAttempts, 1) {
            let response = try await api.send(
                .POST, "/graphql", body: Request(query: query, variables: variables), retryTransient: retryTransient)
            let envelope = try api.decode(GraphQLEnvelope<D>.self, response, operation: operation)
            if let error = envelope.errors?.first {
                let code = error.extensions?.code
                if code == "RATELIMITED", attempt < configuration.retryPolicy.maxAttempts {
                    try await Task.sleep(for: configuration.retryPolicy.delay(afterAttempt: attempt, retryAfter: nil))
                    continue
                }
                let status = code == "ENTITY_NOT_FOUND" || code == "NOT_FOUND" ? 404 : code == "RATELIMITED" ? 429 : response.status
                throw ProviderAPIError(provider: "Linear", operation: operation, status: status, message: error.message)
            }
            guard let data = envelope.data else {
                throw ProviderAPIError(provider: "Linear", operation: operation, status: response.status, message: "the answer has no data")
            }
            return data
        }
        throw ProviderAPIError(provider: "Linear", operation: operation, status: 429, message: "rate limited")
    }

    struct GraphQLEnvelope<D: Decodable>: Decodable {
        var data: D?
        var errors: [GraphQLError]?
    }

    struct GraphQLError: Decodable {
        struct Extensions: Decodable { var code: String? }
        var message: String
        var extensions: Extensions?
    }

    /// The first GraphQL error's message of an error answer, or the status alone.
    static let errorMessage: @Sendable (Int, [UInt8]) -> String = { status, body in
        struct Envelope: Decodable { var errors: [GraphQLError]? }
        if let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body)), let first = envelope.errors?.first {
            return first.message
        }
        return "HTTP \(status) without a Linear error message"
    }
}
