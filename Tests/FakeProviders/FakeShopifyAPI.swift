import Foundation
import Synchronization

/// A stateful fake of Shopify's REST Admin API webhooks (`/{shop domain}/admin/api/{version}/webhooks…`,
/// the shop as the first path segment, as `ShopifyConfiguration.base(forShop:)` makes it for a base
/// without `{shop}`): `X-Shopify-Access-Token` auth, subscriptions per shop, pages of `limit` (at most
/// 250) linked by `Link: <…page_info=…>; rel="next"`, 422 for a topic already subscribed at an address,
/// and failures a test injects. Deliveries are signed with `appSecret`.
public final class FakeShopifyAPI: Sendable {
    /// A subscription of a shop.
    public struct Subscription: Sendable, Equatable {
        /// Shopify's id.
        public var id: Int64
        /// The shop's domain.
        public var shop: String
        /// The topic.
        public var topic: String
        /// Where deliveries go.
        public var address: String
        /// `json` or `xml`.
        public var format: String
    }

    private struct State {
        var subscriptions: [Subscription] = []  // by id
        var failures: [FakeFailure] = []
        var log: [FakeRequestRecord] = []
        var counter: Int64 = 1_000_000
        var linkBase = ""
    }

    /// The access token requests must carry.
    public let token: String
    /// The app's client secret, which signs every delivery.
    public let appSecret: String
    private let state = Mutex(State())

    /// A fake accepting `X-Shopify-Access-Token: <token>`.
    public init(token: String = "shpat_fake", appSecret: String = "shopify-app-secret") {
        self.token = token
        self.appSecret = appSecret
    }

    // MARK: test controls

    /// Every subscription, by id.
    public var subscriptions: [Subscription] { state.withLock { $0.subscriptions } }

    /// Every request seen so far.
    public var requests: [FakeRequestRecord] { state.withLock { $0.log } }

    /// Answers the next matching requests with these failures, one each, in order.
    public func inject(_ failures: FakeFailure...) { state.withLock { $0.failures += failures } }

    /// Adds a subscription directly (someone else's, or an old one), returning it.
    @discardableResult
    public func seed(shop: String, topic: String, address: String, format: String = "json") -> Subscription {
        state.withLock { Self.insert(&$0, shop: shop, topic: topic, address: address, format: format) }
    }

    /// Deletes a subscription without going through the API (a change behind our back).
    public func remove(id: Int64) { state.withLock { $0.subscriptions.removeAll { $0.id == id } } }

    /// The base URL the `Link` headers start with (the server's).
    public func setBaseURL(_ url: String) { state.withLock { $0.linkBase = url } }

    // MARK: the API

    /// Answers one API request.
    public func handle(_ request: FakeRequest) -> FakeResponse {
        let response = state.withLock { s -> FakeResponse in
            if let failure = s.failures.take(for: request.method) {
                if failure.afterProcessing { _ = route(&s, request) }
                return failure.response(["errors": "Injected failure \(failure.status)"])
            }
            return route(&s, request)
        }
        state.withLock {
            $0.log.append(FakeRequestRecord(method: request.method, path: request.path, idempotencyKey: nil, status: response.status))
        }
        return response
    }

    private func route(_ s: inout State, _ request: FakeRequest) -> FakeResponse {
        guard request.headers["x-shopify-access-token"] == token else {
            return .json(401, ["errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"])
        }
        let parts = request.path.split(separator: "/").map(String.init)
        // /{shop}/admin/api/{version}/webhooks.json or /{shop}/admin/api/{version}/webhooks/{id}.json
        guard parts.count >= 5, parts[1] == "admin", parts[2] == "api" else { return .json(404, ["errors": "Not Found"]) }
        let shop = parts[0]
        let root = "/" + parts[0..<4].joined(separator: "/")
        switch (request.method, parts.count, parts[4]) {
        case ("GET", 5, "webhooks.json"): return list(s, shop: shop, root: root, request)
        case ("POST", 5, "webhooks.json"): return create(&s, shop: shop, request)
        case ("DELETE", 6, "webhooks"):
            guard parts[5].hasSuffix(".json"), let id = Int64(parts[5].dropLast(5)),
                s.subscriptions.contains(where: { $0.id == id && $0.shop == shop })
            else { return .json(404, ["errors": "Not Found"]) }
            s.subscriptions.removeAll { $0.id == id }
            return .json(200, [String: Any]())
        default: return .json(404, ["errors": "Not Found"])
        }
    }

    private func list(_ s: State, shop: String, root: String, _ request: FakeRequest) -> FakeResponse {
        let limit = min(max(Int(request.queryValue("limit") ?? "50") ?? 50, 1), 250)
        let all = s.subscriptions.filter { $0.shop == shop }.sorted { $0.id < $1.id }
        // page_info is opaque to clients; here it is the last id of the previous page.
        let after = request.queryValue("page_info").flatMap(Int64.init) ?? 0
        let rest = all.filter { $0.id > after }
        let page = Array(rest.prefix(limit))
        var headers: [String: String] = [:]
        if rest.count > limit, let last = page.last {
            headers["Link"] = "<\(s.linkBase)\(root)/webhooks.json?limit=\(limit)&page_info=\(last.id)>; rel=\"next\""
        }
        return .json(200, ["webhooks": page.map(Self.json)], headers: headers)
    }

    private func create(_ s: inout State, shop: String, _ request: FakeRequest) -> FakeResponse {
        guard let webhook = request.jsonObject?["webhook"] as? [String: Any], let topic = webhook["topic"] as? String,
            let address = webhook["address"] as? String
        else { return .json(400, ["errors": ["webhook": "Required parameter missing or invalid"]]) }
        guard topic.contains("/") else { return .json(422, ["errors": ["topic": ["Invalid topic specified: \(topic)"]]]) }
        guard address.hasPrefix("https://") else { return .json(422, ["errors": ["address": ["protocol http:// is not supported"]]]) }
        if s.subscriptions.contains(where: { $0.shop == shop && $0.topic == topic && $0.address == address }) {
            return .json(422, ["errors": ["address": ["for this topic has already been taken"]]])
        }
        let subscription = Self.insert(&s, shop: shop, topic: topic, address: address, format: webhook["format"] as? String ?? "json")
        return .json(201, ["webhook": Self.json(subscription)])
    }

    private static func insert(_ s: inout State, shop: String, topic: String, address: String, format: String) -> Subscription {
        s.counter += 1
        let subscription = Subscription(id: s.counter, shop: shop, topic: topic, address: address, format: format)
        s.subscriptions.append(subscription)
        return subscription
    }

    static func json(_ w: Subscription) -> [String: Any] {
        [
            "id": w.id, "address": w.address, "topic": w.topic, "format": w.format, "fields": [String](),
            "metafield_namespaces": [String](), "api_version": "2024-10", "created_at": "2024-07-25T10:00:00-04:00",
            "updated_at": "2024-07-25T10:00:00-04:00",
        ]
    }
}
