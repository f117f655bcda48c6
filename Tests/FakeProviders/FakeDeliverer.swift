import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

/// Posts signed webhook deliveries from the fakes to their registered URLs, the way Stripe and GitHub do:
/// `POST /_fake/stripe/deliver` `{"type", "object", "account"?}` and
/// `POST /_fake/github/deliver` `{"owner": "repos/o/r" | "orgs/o", "event", "payload"}`.
/// Answers `{"deliveries": [{"url", "status", "id"}]}` (status 0 when the URL could not be reached).
struct FakeDeliverer: Sendable {
    let stripe: FakeStripeAPI
    let github: FakeGitHubAPI
    var httpClient: HTTPClient = .shared

    func deliverStripe(_ request: FakeRequest) async -> FakeResponse {
        guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
            let type = body["type"] as? String, let object = body["object"] as? [String: Any]
        else { return .json(400, ["message": "expected {\"type\", \"object\"}"]) }
        var results: [[String: Any]] = []
        for endpoint in stripe.endpoints
        where endpoint.status == "enabled" && (endpoint.enabledEvents.contains(type) || endpoint.enabledEvents.contains("*")) {
            let now = Int64(Date().timeIntervalSince1970)
            let id = "evt_" + FakeRandom.token(24)
            var event: [String: Any] = [
                "id": id, "object": "event", "api_version": "2024-06-20", "created": now, "type": type,
                "data": ["object": object], "livemode": false, "pending_webhooks": 1,
                "request": ["id": NSNull(), "idempotency_key": NSNull()],
            ]
            if let account = body["account"] { event["account"] = account }
            let payload = Array((try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])) ?? Data())
            let mac = HMAC<SHA256>.authenticationCode(
                for: Array("\(now).".utf8) + payload, using: SymmetricKey(data: Array(endpoint.secret.utf8)))
            let signature = "t=\(now),v1=" + mac.map { String(format: "%02x", $0) }.joined()
            let status = await post(
                endpoint.url, payload, ["Stripe-Signature": signature, "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"])
            results.append(["url": endpoint.url, "status": status, "id": id])
        }
        return .json(200, ["deliveries": results])
    }

    func deliverGitHub(_ request: FakeRequest) async -> FakeResponse {
        guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
            let owner = body["owner"] as? String, let name = body["event"] as? String, let payloadObject = body["payload"]
        else { return .json(400, ["message": "expected {\"owner\", \"event\", \"payload\"}"]) }
        let payload = Array((try? JSONSerialization.data(withJSONObject: payloadObject, options: [.sortedKeys])) ?? Data())
        var results: [[String: Any]] = []
        for hook in github.hooks
        where hook.owner == owner && hook.active && (hook.events.contains(name) || hook.events.contains("*") || name == "ping") {
            let delivery = UUID().uuidString.lowercased()
            var headers = [
                "X-GitHub-Event": name, "X-GitHub-Delivery": delivery, "X-GitHub-Hook-ID": String(hook.id),
                "User-Agent": "GitHub-Hookshot/fake",
            ]
            if let secret = hook.secret {
                let mac = HMAC<SHA256>.authenticationCode(for: payload, using: SymmetricKey(data: Array(secret.utf8)))
                headers["X-Hub-Signature-256"] = "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
            }
            let status = await post(hook.url, payload, headers)
            results.append(["url": hook.url, "status": status, "id": delivery])
        }
        return .json(200, ["deliveries": results])
    }

    private func post(_ url: String, _ body: [UInt8], _ headers: [String: String]) async -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(10))
            _ = try? await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        } catch {
            return 0
        }
    }
}
