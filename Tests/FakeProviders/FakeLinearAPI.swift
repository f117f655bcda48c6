import Foundation
import Synchronization

/// A stateful fake of the part of Linear's GraphQL API (`POST /graphql`) that webhook registration uses:
/// `teams(filter: {key})`, `webhooks(first, after)` with `pageInfo`, `webhook(id)`, `webhookCreate`,
/// `webhookUpdate` and `webhookDelete`, an `Authorization: <api key>` check, GraphQL errors
/// (`ENTITY_NOT_FOUND`), and failures a test injects. It tells operations apart by their root field.
/// With `acceptsSecret` false it ignores the secret we send and makes its own, as an API that does not
/// take one would.
public final class FakeLinearAPI: Sendable {
    /// A webhook.
    public struct Webhook: Sendable, Equatable {
        /// Linear's id.
        public var id: String
        /// Where deliveries go.
        public var url: String
        /// The team's id.
        public var teamId: String
        /// The resource types sent.
        public var resourceTypes: [String]
        /// Whether deliveries are sent.
        public var enabled: Bool
        /// The signing secret.
        public var secret: String
        /// Its label.
        public var label: String?
    }

    private struct State {
        var webhooks: [Webhook] = []
        var failures: [FakeFailure] = []
        var log: [FakeRequestRecord] = []
        var counter = 0
        var acceptsSecret = true
    }

    /// The API key requests must carry.
    public let apiKey: String
    /// The teams by key.
    public let teams: [String: String]
    private let state = Mutex(State())

    /// A fake accepting `Authorization: <apiKey>`, with the team `ENG`.
    public init(apiKey: String = "lin_api_fake", teams: [String: String] = ["ENG": "7e8f9a0b-1c2d-4e3f-8a9b-0c1d2e3f4a5b"]) {
        self.apiKey = apiKey
        self.teams = teams
    }

    // MARK: test controls

    /// Every webhook, oldest first.
    public var webhooks: [Webhook] { state.withLock { $0.webhooks } }

    /// Every request seen so far (the path is `/graphql#<root field>`).
    public var requests: [FakeRequestRecord] { state.withLock { $0.log } }

    /// Answers the next matching requests with these failures, one each, in order.
    public func inject(_ failures: FakeFailure...) { state.withLock { $0.failures += failures } }

    /// Whether `webhookCreate`/`webhookUpdate` take the secret sent (true by default).
    public func setAcceptsSecret(_ accepts: Bool) { state.withLock { $0.acceptsSecret = accepts } }

    /// Adds a webhook directly (someone else's, or an old one), returning it.
    @discardableResult
    public func seed(url: String, teamKey: String = "ENG", resourceTypes: [String] = ["Issue"]) -> Webhook {
        state.withLock { s in
            s.counter += 1
            let webhook = Webhook(
                id: "wh-\(s.counter)", url: url, teamId: teams[teamKey] ?? teamKey, resourceTypes: resourceTypes, enabled: true,
                secret: "lin_wh_" + FakeRandom.token(24), label: "seeded")
            s.webhooks.append(webhook)
            return webhook
        }
    }

    /// Deletes a webhook without going through the API (a change behind our back).
    public func remove(id: String) { state.withLock { $0.webhooks.removeAll { $0.id == id } } }

    /// Changes a webhook without going through the API.
    public func modify(id: String, _ change: @Sendable (inout Webhook) -> Void) {
        state.withLock { s in
            if let i = s.webhooks.firstIndex(where: { $0.id == id }) { change(&s.webhooks[i]) }
        }
    }

    // MARK: the API

    /// The root field of a query (`webhookCreate`, `webhooks`…).
    static func operation(_ query: String) -> String {
        for name in ["webhookCreate", "webhookUpdate", "webhookDelete", "webhooks", "webhook", "teams"]
        where query.range(of: "\\b\(name)\\s*\\(", options: .regularExpression) != nil {
            return name
        }
        return "unknown"
    }

    /// Answers one API request.
    public func handle(_ request: FakeRequest) -> FakeResponse {
        let body = request.jsonObject ?? [:]
        let operation = Self.operation(body["query"] as? String ?? "")
        let response = state.withLock { s -> FakeResponse in
            if let failure = s.failures.take(for: operation) ?? s.failures.take(for: request.method) {
                if failure.afterProcessing { _ = route(&s, request, operation, body) }
                let code = failure.status == 429 ? "RATELIMITED" : "INTERNAL_SERVER_ERROR"
                return failure.response(["errors": [["message": "Injected failure \(failure.status)", "extensions": ["code": code]]]])
            }
            return route(&s, request, operation, body)
        }
        state.withLock {
            $0.log.append(
                FakeRequestRecord(method: request.method, path: "/graphql#\(operation)", idempotencyKey: nil, status: response.status))
        }
        return response
    }

    private func route(_ s: inout State, _ request: FakeRequest, _ operation: String, _ body: [String: Any]) -> FakeResponse {
        guard request.headers["authorization"] == apiKey else {
            return .json(
                401,
                ["errors": [["message": "Authentication required, not authenticated", "extensions": ["code": "AUTHENTICATION_ERROR"]]]])
        }
        guard request.method == "POST", request.path == "/graphql" else { return .json(404, ["errors": [["message": "Not found"]]]) }
        let variables = body["variables"] as? [String: Any] ?? [:]
        let asksSecret = (body["query"] as? String ?? "").contains(" secret ")
        switch operation {
        case "teams":
            let key = (variables["key"] as? String ?? "").uppercased()
            let nodes = teams.filter { $0.key.uppercased() == key }.map { ["id": $0.value, "key": $0.key] }
            return data(["teams": ["nodes": nodes]])
        case "webhooks":
            let after = variables["after"] as? String
            var rest = s.webhooks
            if let after, let index = rest.firstIndex(where: { $0.id == after }) { rest = Array(rest[(index + 1)...]) }
            let page = Array(rest.prefix(50))
            return data([
                "webhooks": [
                    "nodes": page.map { json($0, secret: false) },
                    "pageInfo": ["hasNextPage": rest.count > 50, "endCursor": page.last.map { $0.id as Any } ?? NSNull()],
                ]
            ])
        case "webhook":
            guard let hook = s.webhooks.first(where: { $0.id == variables["id"] as? String }) else { return notFound() }
            return data(["webhook": json(hook, secret: false)])
        case "webhookCreate":
            guard let input = variables["input"] as? [String: Any], let url = input["url"] as? String,
                let teamId = input["teamId"] as? String, let types = input["resourceTypes"] as? [String]
            else { return invalid("url, teamId and resourceTypes are required") }
            guard teams.values.contains(teamId) else { return notFound() }
            s.counter += 1
            let secret =
                s.acceptsSecret ? (input["secret"] as? String ?? "lin_wh_" + FakeRandom.token(24)) : "lin_wh_" + FakeRandom.token(24)
            let hook = Webhook(
                id: "wh-\(s.counter)", url: url, teamId: teamId, resourceTypes: types, enabled: input["enabled"] as? Bool ?? true,
                secret: secret, label: input["label"] as? String)
            s.webhooks.append(hook)
            return data(["webhookCreate": ["success": true, "webhook": json(hook, secret: asksSecret)]])
        case "webhookUpdate":
            guard let index = s.webhooks.firstIndex(where: { $0.id == variables["id"] as? String }) else { return notFound() }
            let input = variables["input"] as? [String: Any] ?? [:]
            if let url = input["url"] as? String { s.webhooks[index].url = url }
            if let types = input["resourceTypes"] as? [String] { s.webhooks[index].resourceTypes = types }
            if let enabled = input["enabled"] as? Bool { s.webhooks[index].enabled = enabled }
            if s.acceptsSecret, let secret = input["secret"] as? String { s.webhooks[index].secret = secret }
            return data(["webhookUpdate": ["success": true, "webhook": json(s.webhooks[index], secret: asksSecret)]])
        case "webhookDelete":
            guard s.webhooks.contains(where: { $0.id == variables["id"] as? String }) else { return notFound() }
            s.webhooks.removeAll { $0.id == variables["id"] as? String }
            return data(["webhookDelete": ["success": true]])
        default:
            return invalid("unknown operation")
        }
    }

    private func json(_ w: Webhook, secret: Bool) -> [String: Any] {
        var object: [String: Any] = [
            "id": w.id, "url": w.url, "enabled": w.enabled, "resourceTypes": w.resourceTypes,
            "team": ["id": w.teamId, "key": teams.first { $0.value == w.teamId }.map { $0.key as Any } ?? NSNull()],
        ]
        if secret { object["secret"] = w.secret }
        return object
    }

    private func data(_ object: [String: Any]) -> FakeResponse { .json(200, ["data": object]) }

    private func notFound() -> FakeResponse {
        .json(200, ["data": NSNull(), "errors": [["message": "Entity not found", "extensions": ["code": "ENTITY_NOT_FOUND"]]]])
    }

    private func invalid(_ message: String) -> FakeResponse {
        .json(400, ["errors": [["message": message, "extensions": ["code": "INVALID_INPUT"]]]])
    }
}
