import Foundation
import Synchronization

/// A stateful fake of GitHub's repository and organization hooks API: bearer auth, JSON bodies, pages of
/// `per_page` (default 30, at most 100) linked by a `Link` header, write-only secrets, GitHub's 422 for a
/// second hook with the same URL, and failures a test injects.
public final class FakeGitHubAPI: Sendable {
    /// A hook held by the fake.
    public struct Hook: Sendable, Equatable {
        /// The owner path (`repos/o/r` or `orgs/o`).
        public var owner: String
        /// The hook id.
        public var id: Int64
        /// The delivery URL.
        public var url: String
        /// Subscribed events.
        public var events: [String]
        /// Whether deliveries are sent.
        public var active: Bool
        /// The secret last set (nil when none).
        public var secret: String?
        /// `json` or `form`.
        public var contentType: String
    }

    private struct State {
        var hooks: [Hook] = []
        var failures: [FakeFailure] = []
        var log: [FakeRequestRecord] = []
        var nextID: Int64 = 1000
    }

    /// The token requests must carry.
    public let token: String
    /// The base URL the `Link` headers point at; set once the server knows its port.
    private let linkBase = Mutex("")
    private let state = Mutex(State())

    /// A fake accepting `Authorization: Bearer <token>` (or `token <token>`).
    public init(token: String = "ghp_fake") {
        self.token = token
    }

    /// Sets the base URL used in `Link` headers.
    public func setBaseURL(_ url: String) { linkBase.withLock { $0 = url } }

    /// The hooks of every owner, oldest first.
    public var hooks: [Hook] { state.withLock { $0.hooks } }

    /// Every request seen so far.
    public var requests: [FakeRequestRecord] { state.withLock { $0.log } }

    /// Answers the next matching requests with these failures, one each, in order.
    public func inject(_ failures: FakeFailure...) { state.withLock { $0.failures += failures } }

    /// Adds a hook directly (`owner` is `repos/o/r` or `orgs/o`).
    @discardableResult
    public func seed(owner: String, url: String, events: [String] = ["push"], secret: String? = nil) -> Hook {
        state.withLock { s in
            s.nextID += 1
            let hook = Hook(owner: owner, id: s.nextID, url: url, events: events, active: true, secret: secret, contentType: "json")
            s.hooks.append(hook)
            return hook
        }
    }

    /// Deletes a hook without going through the API.
    public func remove(id: Int64) { state.withLock { $0.hooks.removeAll { $0.id == id } } }

    /// Answers one API request.
    public func handle(_ request: FakeRequest) -> FakeResponse {
        let response = state.withLock { s -> FakeResponse in
            if let index = s.failures.firstIndex(where: { $0.method == nil || $0.method == request.method }) {
                let failure = s.failures.remove(at: index)
                if failure.afterProcessing { _ = route(&s, request) }
                var headers: [String: String] = [:]
                if let retryAfter = failure.retryAfter { headers["Retry-After"] = retryAfter }
                return .json(failure.status, ["message": "Injected failure \(failure.status)"], headers: headers)
            }
            return route(&s, request)
        }
        state.withLock {
            $0.log.append(FakeRequestRecord(method: request.method, path: request.path, idempotencyKey: nil, status: response.status))
        }
        return response
    }

    private func route(_ s: inout State, _ request: FakeRequest) -> FakeResponse {
        let auth = request.headers["authorization"]
        guard auth == "Bearer \(token)" || auth == "token \(token)" else {
            return .json(401, ["message": "Bad credentials"])
        }
        let parts = request.path.split(separator: "/").map(String.init)
        let owner: String
        let rest: [String]
        if parts.count >= 4, parts[0] == "repos", parts[3] == "hooks" {
            owner = parts[0...2].joined(separator: "/")
            rest = Array(parts[4...])
        } else if parts.count >= 3, parts[0] == "orgs", parts[2] == "hooks" {
            owner = parts[0...1].joined(separator: "/")
            rest = Array(parts[3...])
        } else {
            return .json(404, ["message": "Not Found"])
        }
        let id = rest.first.flatMap { Int64($0) }
        if !rest.isEmpty && id == nil { return .json(404, ["message": "Not Found"]) }
        switch (request.method, id) {
        case ("GET", nil): return list(s, owner, request)
        case ("POST", nil): return Self.create(&s, owner, request)
        case ("GET", let id?):
            guard let hook = s.hooks.first(where: { $0.owner == owner && $0.id == id }) else { return .json(404, ["message": "Not Found"]) }
            return .json(200, Self.json(hook))
        case ("PATCH", let id?): return Self.update(&s, owner, id, request)
        case ("DELETE", let id?):
            guard s.hooks.contains(where: { $0.owner == owner && $0.id == id }) else { return .json(404, ["message": "Not Found"]) }
            s.hooks.removeAll { $0.owner == owner && $0.id == id }
            return FakeResponse(status: 204)
        default: return .json(404, ["message": "Not Found"])
        }
    }

    private func list(_ s: State, _ owner: String, _ request: FakeRequest) -> FakeResponse {
        let perPage = min(max(Int(request.queryValue("per_page") ?? "30") ?? 30, 1), 100)
        let page = max(Int(request.queryValue("page") ?? "1") ?? 1, 1)
        let all = s.hooks.filter { $0.owner == owner }
        let start = (page - 1) * perPage
        let slice = start < all.count ? Array(all[start..<min(start + perPage, all.count)]) : []
        let lastPage = max(1, (all.count + perPage - 1) / perPage)
        var headers: [String: String] = [:]
        if page < lastPage {
            let base = linkBase.withLock { $0 } + request.path
            headers["Link"] =
                "<\(base)?per_page=\(perPage)&page=\(page + 1)>; rel=\"next\", <\(base)?per_page=\(perPage)&page=\(lastPage)>; rel=\"last\""
        }
        return .json(200, slice.map(Self.json), headers: headers)
    }

    private static func create(_ s: inout State, _ owner: String, _ request: FakeRequest) -> FakeResponse {
        guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
            let config = body["config"] as? [String: Any], let url = config["url"] as? String, url.hasPrefix("http")
        else { return validationFailed("config.url is required") }
        if s.hooks.contains(where: { $0.owner == owner && $0.url == url }) {
            return validationFailed("Hook already exists on this \(owner.hasPrefix("orgs") ? "organization" : "repository")")
        }
        let events = body["events"] as? [String] ?? ["push"]
        s.nextID += 1
        let hook = Hook(
            owner: owner, id: s.nextID, url: url, events: events, active: body["active"] as? Bool ?? true,
            secret: config["secret"] as? String, contentType: config["content_type"] as? String ?? "form"
        )
        s.hooks.append(hook)
        return .json(201, json(hook))
    }

    private static func update(_ s: inout State, _ owner: String, _ id: Int64, _ request: FakeRequest) -> FakeResponse {
        guard let index = s.hooks.firstIndex(where: { $0.owner == owner && $0.id == id }) else {
            return .json(404, ["message": "Not Found"])
        }
        guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else {
            return validationFailed("Problems parsing JSON")
        }
        if let events = body["events"] as? [String] { s.hooks[index].events = events }
        if let active = body["active"] as? Bool { s.hooks[index].active = active }
        if let config = body["config"] as? [String: Any] {
            if let url = config["url"] as? String { s.hooks[index].url = url }
            if let secret = config["secret"] as? String { s.hooks[index].secret = secret }
            if let contentType = config["content_type"] as? String { s.hooks[index].contentType = contentType }
        }
        return .json(200, json(s.hooks[index]))
    }

    static func json(_ hook: Hook) -> [String: Any] {
        var config: [String: Any] = ["url": hook.url, "content_type": hook.contentType, "insecure_ssl": "0"]
        if hook.secret != nil { config["secret"] = "********" }
        return [
            "type": hook.owner.hasPrefix("orgs") ? "Organization" : "Repository", "id": hook.id, "name": "web",
            "active": hook.active, "events": hook.events, "config": config,
        ]
    }

    private static func validationFailed(_ message: String) -> FakeResponse {
        .json(422, ["message": "Validation Failed", "errors": [["resource": "Hook", "code": "custom", "message": message]]])
    }
}
