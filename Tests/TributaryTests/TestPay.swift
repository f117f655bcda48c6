import Crypto
import Foundation
import Tributary

/// A tiny local provider for the tests: signed webhooks (hex HMAC-SHA256 of the body in
/// `x-testpay-signature`), a plain and a "connect" subscription, and one event specification.
enum TestPay {
    struct Price: Decodable, Sendable, Equatable {
        var id: String
        var currency: String
        var unit_amount: Int
    }

    struct WebhookParams: Codable, Sendable, Equatable {
        var connect: Bool = false
        var accountPrefix: String? = nil
    }

    static let priceCreated = EventSpecification<Price>(
        name: "price.created", title: "On price created", source: "testpay.com", icon: "testpay",
        examples: [EventExample(id: "usd", name: "USD price", payload: ["id": "price_1", "currency": "usd", "unit_amount": 1200])],
        filter: ["object": ["price"]],
        runProperties: { [RunProperty(label: "Currency", text: $0.currency)] })

    static let webhook = ExternalSource<WebhookParams>(
        id: "testpay", version: "2",
        key: { $0.connect ? "testpay.webhook.connect" : "testpay.webhook" },
        filter: { p in p.connect ? ["account": [["$exists": true]]] : [:] },
        validate: { p in
            if let pre = p.accountPrefix, !pre.hasPrefix("acct_") { throw ParamsProblem() }
        },
        handler: { request, state in
            guard let secret = state.secret else { throw SourceRejection(.unsupported, "not registered", status: 404) }
            guard let sig = request.header("X-TestPay-Signature") else { throw SourceRejection.badSignature("no signature") }
            let mac = HMAC<SHA256>.authenticationCode(for: request.body, using: SymmetricKey(data: Array(secret.utf8)))
            guard hex(Array(mac)) == sig else { throw SourceRejection.badSignature("signature mismatch") }
            let body = try JSON(parsing: request.body)
            guard let id = body["id"]?.stringValue, let type = body["type"]?.stringValue, let object = body["data"]?["object"] else {
                throw SourceRejection.malformedBody("missing id, type or data.object")
            }
            var context: [String: JSON] = [:]
            if let account = body["account"] { context["account"] = account }
            let event = EventRecord(
                id: id, name: type, source: "testpay.com",
                timestamp: Date(timeIntervalSince1970: body["created"]?.numberValue ?? 0),
                payload: object, context: .object(context))
            let calls = (state.metadata["calls"]?.numberValue ?? 0) + 1
            return HandlerResult(events: [event], response: SourceResponse(status: 202), metadata: ["calls": .number(calls)])
        },
        register: { event, io, ctx in
            let change = event.events
            if event.source.active && change.isSettled { return .unchanged }
            let endpoint: String = try await io.runTask("upsert-endpoint") {
                (event.source.data["endpointId"]?.stringValue) ?? "ep_\(event.source.key)"
            }
            return .registered(
                data: ["endpointId": .string(endpoint)], secret: event.source.secret ?? "whsec_new",
                options: ["event": change.desired])
        })

    struct ParamsProblem: Error {}

    static func onPriceCreated(connect: Bool = false, filter: EventFilter = .all) -> Trigger<Price> {
        Trigger(event: priceCreated, source: webhook, params: WebhookParams(connect: connect), filter: filter)
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func signedRequest(_ body: JSON, secret: String) -> SourceRequest {
        signedRequest(bytes: body.encoded(), secret: secret)
    }

    static func signedRequest(bytes: [UInt8], secret: String) -> SourceRequest {
        let mac = HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: Array(secret.utf8)))
        return SourceRequest(
            path: "/sources/testpay.webhook",
            headers: [("content-type", "application/json"), ("x-testpay-signature", hex(Array(mac)))],
            body: bytes)
    }
}
