import Foundation
import Synchronization

/// A stateful fake of Stripe's `/v1/webhook_endpoints` API: bearer auth, form bodies, newest-first lists
/// paginated by `limit` / `starting_after` / `has_more`, secrets returned only on create, idempotency keys
/// (replays and mismatches), and failures a test injects. It can also deliver signed events to its
/// endpoints, as Stripe does.
public final class FakeStripeAPI: Sendable {
    /// A webhook endpoint in the fake's account.
    public struct Endpoint: Sendable, Equatable {
        /// `we_…`.
        public var id: String
        /// The URL.
        public var url: String
        /// Enabled event types.
        public var enabledEvents: [String]
        /// `enabled` or `disabled`.
        public var status: String
        /// The signing secret.
        public var secret: String
        /// A Connect endpoint.
        public var connect: Bool
        /// Creation order stamp.
        public var created: Int64
        /// A free description.
        public var description: String?
    }

    private struct State {
        var endpoints: [Endpoint] = []  // oldest first
        var idempotency: [String: (fingerprint: String, response: FakeResponse)] = [:]
        var failures: [FakeFailure] = []
        var log: [FakeRequestRecord] = []
        var counter: Int64 = 0
    }

    /// The API key requests must carry.
    public let apiKey: String
    private let state = Mutex(State())

    /// A fake accepting `Authorization: Bearer <apiKey>`.
    public init(apiKey: String = "sk_test_fake") {
        self.apiKey = apiKey
    }

    // MARK: test controls

    /// The endpoints, oldest first.
    public var endpoints: [Endpoint] { state.withLock { $0.endpoints } }

    /// Every request seen so far.
    public var requests: [FakeRequestRecord] { state.withLock { $0.log } }

    /// Answers the next matching requests with these failures, one each, in order.
    public func inject(_ failures: FakeFailure...) {
        state.withLock { $0.failures += failures }
    }

    /// Adds an endpoint directly (someone else's, or one made before), returning it.
    @discardableResult
    public func seed(url: String, events: [String] = ["charge.succeeded"], status: String = "enabled") -> Endpoint {
        state.withLock { Self.insert(&$0, url: url, events: events, connect: false, description: "seeded", status: status) }
    }

    /// Deletes an endpoint without going through the API (a change behind our back).
    public func remove(id: String) {
        state.withLock { $0.endpoints.removeAll { $0.id == id } }
    }

    /// Changes an endpoint's events without going through the API.
    public func setEvents(id: String, _ events: [String]) {
        state.withLock { s in
            if let i = s.endpoints.firstIndex(where: { $0.id == id }) { s.endpoints[i].enabledEvents = events }
        }
    }

    // MARK: the API

    /// Answers one API request.
    public func handle(_ request: FakeRequest) -> FakeResponse {
        let response = state.withLock { s -> FakeResponse in
            if let index = s.failures.firstIndex(where: { $0.method == nil || $0.method == request.method }) {
                let failure = s.failures.remove(at: index)
                if !failure.afterProcessing { return Self.failureResponse(failure) }
                _ = route(&s, request)
                return Self.failureResponse(failure)
            }
            return route(&s, request)
        }
        state.withLock {
            $0.log.append(
                FakeRequestRecord(
                    method: request.method, path: request.path, idempotencyKey: request.headers["idempotency-key"], status: response.status)
            )
        }
        return response
    }

    private func route(_ s: inout State, _ request: FakeRequest) -> FakeResponse {
        guard request.headers["authorization"] == "Bearer \(apiKey)" else {
            return Self.error(401, "Invalid API Key provided", type: "invalid_request_error")
        }
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count >= 2, parts[0] == "v1", parts[1] == "webhook_endpoints" else {
            return Self.error(404, "Unrecognized request URL (\(request.method): \(request.path))", type: "invalid_request_error")
        }
        let id = parts.count == 3 ? parts[2] : nil
        if request.method == "GET" {
            if let id { return Self.show(s, id) }
            return Self.list(s, request)
        }
        // Mutating calls: idempotency keys replay the first answer for the same request.
        let fingerprint = request.method + " " + request.path + " " + String(decoding: request.body, as: UTF8.self)
        if let key = request.headers["idempotency-key"], let previous = s.idempotency[key] {
            guard previous.fingerprint == fingerprint else {
                return Self.error(
                    400, "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    type: "idempotency_error")
            }
            var replay = previous.response
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        }
        let response: FakeResponse
        switch (request.method, id) {
        case ("POST", nil): response = Self.create(&s, request)
        case ("POST", let id?): response = Self.update(&s, id, request)
        case ("DELETE", let id?): response = Self.delete(&s, id)
        default: response = Self.error(405, "Method not allowed", type: "invalid_request_error")
        }
        if let key = request.headers["idempotency-key"], response.status < 500 {
            s.idempotency[key] = (fingerprint, response)
        }
        return response
    }

    private static func list(_ s: State, _ request: FakeRequest) -> FakeResponse {
        let limit = min(max(Int(request.queryValue("limit") ?? "10") ?? 10, 1), 100)
        var newestFirst = Array(s.endpoints.reversed())
        if let after = request.queryValue("starting_after") {
            guard let index = newestFirst.firstIndex(where: { $0.id == after }) else {
                return error(400, "Invalid starting_after id: \(after)", type: "invalid_request_error")
            }
            newestFirst = Array(newestFirst[(index + 1)...])
        }
        let page = newestFirst.prefix(limit)
        return .json(
            200,
            [
                "object": "list", "url": "/v1/webhook_endpoints", "has_more": newestFirst.count > limit,
                "data": page.map { json($0, withSecret: false) },
            ])
    }

    private static func show(_ s: State, _ id: String) -> FakeResponse {
        guard let endpoint = s.endpoints.first(where: { $0.id == id }) else { return missing(id) }
        return .json(200, json(endpoint, withSecret: false))
    }

    private static func create(_ s: inout State, _ request: FakeRequest) -> FakeResponse {
        let form = FakeForm.decode(String(decoding: request.body, as: UTF8.self))
        guard let url = form.first(where: { $0.0 == "url" })?.1, url.hasPrefix("http") else {
            return error(400, "Missing required param: url.", type: "invalid_request_error", param: "url")
        }
        let events = enabledEvents(form)
        guard !events.isEmpty else {
            return error(400, "Missing required param: enabled_events.", type: "invalid_request_error", param: "enabled_events")
        }
        let connect = form.first(where: { $0.0 == "connect" })?.1 == "true"
        let description = form.first(where: { $0.0 == "description" })?.1
        let endpoint = insert(&s, url: url, events: events, connect: connect, description: description, status: "enabled")
        return .json(200, json(endpoint, withSecret: true))
    }

    private static func update(_ s: inout State, _ id: String, _ request: FakeRequest) -> FakeResponse {
        guard let index = s.endpoints.firstIndex(where: { $0.id == id }) else { return missing(id) }
        let form = FakeForm.decode(String(decoding: request.body, as: UTF8.self))
        if let url = form.first(where: { $0.0 == "url" })?.1 { s.endpoints[index].url = url }
        let events = enabledEvents(form)
        if !events.isEmpty { s.endpoints[index].enabledEvents = events }
        if let disabled = form.first(where: { $0.0 == "disabled" })?.1 {
            s.endpoints[index].status = disabled == "true" ? "disabled" : "enabled"
        }
        return .json(200, json(s.endpoints[index], withSecret: false))
    }

    private static func delete(_ s: inout State, _ id: String) -> FakeResponse {
        guard s.endpoints.contains(where: { $0.id == id }) else { return missing(id) }
        s.endpoints.removeAll { $0.id == id }
        return .json(200, ["id": id, "object": "webhook_endpoint", "deleted": true])
    }

    private static func insert(
        _ s: inout State, url: String, events: [String], connect: Bool, description: String?, status: String
    ) -> Endpoint {
        s.counter += 1
        let endpoint = Endpoint(
            id: "we_" + String(format: "%06d", s.counter) + FakeRandom.token(18), url: url, enabledEvents: events,
            status: status, secret: "whsec_" + FakeRandom.token(32), connect: connect,
            created: 1_700_000_000 + s.counter, description: description
        )
        s.endpoints.append(endpoint)
        return endpoint
    }

    private static func enabledEvents(_ form: [(String, String)]) -> [String] {
        form.filter { $0.0 == "enabled_events[]" || ($0.0.hasPrefix("enabled_events[") && $0.0.hasSuffix("]")) }.map(\.1)
    }

    static func json(_ e: Endpoint, withSecret: Bool) -> [String: Any] {
        var object: [String: Any] = [
            "id": e.id, "object": "webhook_endpoint", "url": e.url, "enabled_events": e.enabledEvents,
            "status": e.status, "created": e.created, "livemode": false, "metadata": [String: String](),
            "api_version": NSNull(), "application": e.connect ? "ca_fake" : NSNull(),
            "description": e.description ?? NSNull(),
        ]
        if withSecret { object["secret"] = e.secret }
        return object
    }

    private static func missing(_ id: String) -> FakeResponse {
        error(404, "No such webhook endpoint: '\(id)'", type: "invalid_request_error", code: "resource_missing")
    }

    private static func error(_ status: Int, _ message: String, type: String, code: String? = nil, param: String? = nil) -> FakeResponse {
        var inner: [String: Any] = ["message": message, "type": type]
        if let code { inner["code"] = code }
        if let param { inner["param"] = param }
        return .json(status, ["error": inner])
    }

    private static func failureResponse(_ failure: FakeFailure) -> FakeResponse {
        var headers: [String: String] = [:]
        if let retryAfter = failure.retryAfter { headers["Retry-After"] = retryAfter }
        return .json(
            failure.status,
            ["error": ["message": "Injected failure \(failure.status)", "type": failure.status == 429 ? "rate_limit_error" : "api_error"]],
            headers: headers)
    }
}
