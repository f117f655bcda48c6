import Foundation
import Synchronization

/// A stateful fake of Typeform's webhooks API (`/forms/{id}/webhooks[/{tag}]`): bearer auth, one webhook
/// per form and tag, `PUT` creating or replacing it (with its secret, which the API never returns), a
/// 404 for an unknown tag, and failures a test injects.
public final class FakeTypeformAPI: Sendable {
    /// A webhook of a form.
    public struct Webhook: Sendable, Equatable {
        /// Typeform's id.
        public var id: String
        /// The form.
        public var formId: String
        /// The tag.
        public var tag: String
        /// Where deliveries go.
        public var url: String
        /// Whether deliveries are sent.
        public var enabled: Bool
        /// The secret it signs with (nil: unsigned).
        public var secret: String?
        /// The event types that are on.
        public var eventTypes: [String]
    }

    private struct State {
        var webhooks: [Webhook] = []  // oldest first
        var failures: [FakeFailure] = []
        var log: [FakeRequestRecord] = []
        var counter = 0
    }

    /// The token requests must carry.
    public let token: String
    private let state = Mutex(State())

    /// A fake accepting `Authorization: Bearer <token>`.
    public init(token: String = "tfp_fake") {
        self.token = token
    }

    // MARK: test controls

    /// Every webhook, oldest first.
    public var webhooks: [Webhook] { state.withLock { $0.webhooks } }

    /// Every request seen so far.
    public var requests: [FakeRequestRecord] { state.withLock { $0.log } }

    /// Answers the next matching requests with these failures, one each, in order.
    public func inject(_ failures: FakeFailure...) { state.withLock { $0.failures += failures } }

    /// Adds a webhook directly (someone else's), returning it.
    @discardableResult
    public func seed(form: String, tag: String, url: String, secret: String? = nil) -> Webhook {
        state.withLock { s in
            s.counter += 1
            let webhook = Webhook(
                id: "wh\(s.counter)", formId: form, tag: tag, url: url, enabled: true, secret: secret, eventTypes: ["form_response"])
            s.webhooks.append(webhook)
            return webhook
        }
    }

    /// Deletes a webhook without going through the API (a change behind our back).
    public func remove(form: String, tag: String) { state.withLock { $0.webhooks.removeAll { $0.formId == form && $0.tag == tag } } }

    /// Changes a webhook without going through the API.
    public func modify(form: String, tag: String, _ change: @Sendable (inout Webhook) -> Void) {
        state.withLock { s in
            if let i = s.webhooks.firstIndex(where: { $0.formId == form && $0.tag == tag }) { change(&s.webhooks[i]) }
        }
    }

    // MARK: the API

    /// Answers one API request.
    public func handle(_ request: FakeRequest) -> FakeResponse {
        let response = state.withLock { s -> FakeResponse in
            if let failure = s.failures.take(for: request.method) {
                if failure.afterProcessing { _ = route(&s, request) }
                return failure.response(["code": "INJECTED", "description": "Injected failure \(failure.status)"])
            }
            return route(&s, request)
        }
        state.withLock {
            $0.log.append(FakeRequestRecord(method: request.method, path: request.path, idempotencyKey: nil, status: response.status))
        }
        return response
    }

    private func route(_ s: inout State, _ request: FakeRequest) -> FakeResponse {
        guard request.headers["authorization"] == "Bearer \(token)" else {
            return Self.error(403, "AUTHENTICATION_FAILED", "Authentication credentials not found on the Request Headers")
        }
        let parts = request.path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        guard parts.count >= 3, parts[0] == "forms", parts[2] == "webhooks" else {
            return Self.error(404, "NOT_FOUND", "Endpoint not found")
        }
        let form = parts[1]
        if parts.count == 3 {
            guard request.method == "GET" else { return Self.error(405, "METHOD_NOT_ALLOWED", "Method not allowed") }
            return .json(200, ["items": s.webhooks.filter { $0.formId == form }.map(Self.json)])
        }
        let tag = parts[3]
        let index = s.webhooks.firstIndex { $0.formId == form && $0.tag == tag }
        switch request.method {
        case "GET":
            guard let index else { return Self.missing(tag) }
            return .json(200, Self.json(s.webhooks[index]))
        case "PUT":
            guard let body = request.jsonObject, let url = body["url"] as? String, url.hasPrefix("http") else {
                return Self.error(400, "VALIDATION_ERROR", "url is required")
            }
            guard let enabled = body["enabled"] as? Bool else { return Self.error(400, "VALIDATION_ERROR", "enabled is required") }
            let types = (body["event_types"] as? [String: Bool] ?? ["form_response": true]).filter(\.value).keys.sorted()
            if let index {
                s.webhooks[index].url = url
                s.webhooks[index].enabled = enabled
                s.webhooks[index].secret = body["secret"] as? String
                s.webhooks[index].eventTypes = types
                return .json(200, Self.json(s.webhooks[index]))
            }
            s.counter += 1
            let webhook = Webhook(
                id: "wh\(s.counter)", formId: form, tag: tag, url: url, enabled: enabled, secret: body["secret"] as? String,
                eventTypes: types)
            s.webhooks.append(webhook)
            return .json(200, Self.json(webhook))
        case "DELETE":
            guard let index else { return Self.missing(tag) }
            s.webhooks.remove(at: index)
            return FakeResponse(status: 204)
        default:
            return Self.error(405, "METHOD_NOT_ALLOWED", "Method not allowed")
        }
    }

    static func json(_ w: Webhook) -> [String: Any] {
        [
            "id": w.id, "form_id": w.formId, "tag": w.tag, "url": w.url, "enabled": w.enabled, "verify_ssl": true,
            "event_types": Dictionary(uniqueKeysWithValues: w.eventTypes.map { ($0, true) }),
            "created_at": "2024-07-25T14:00:00.000Z", "updated_at": "2024-07-25T14:00:00.000Z",
        ]
    }

    private static func missing(_ tag: String) -> FakeResponse { error(404, "NOT_FOUND", "Webhook \(tag) not found") }

    private static func error(_ status: Int, _ code: String, _ description: String) -> FakeResponse {
        .json(status, ["code": code, "description": description])
    }
}
