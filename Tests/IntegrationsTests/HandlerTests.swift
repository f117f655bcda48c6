import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

/// The sources' handlers, through the erased source as the receiver calls them.
private func handle<P: Codable & Sendable>(
    _ source: ExternalSource<P>, params: P, secret: String?, headers: [(String, String)], body: [UInt8]
) async throws -> HandlerResult {
    let paramsJSON = try JSON(encoding: params)
    let state = SourceState(
        key: source.key(params), sourceId: source.id, params: paramsJSON, active: true, url: "https://hooks.example/x", secret: secret)
    return try await source.erased.handle(
        SourceRequest(path: "/sources/\(state.key)", headers: headers.map { (name: $0.0, value: $0.1) }, body: body), state: state)
}

/// The rejection `body` throws, or nil.
private func rejection(_ body: () async throws -> HandlerResult) async -> SourceRejection? {
    do {
        _ = try await body()
        return nil
    } catch let rejection as SourceRejection {
        return rejection
    } catch {
        Issue.record("expected a SourceRejection, got \(error)")
        return nil
    }
}

private var now: Int64 { Int64(Date().timeIntervalSince1970) }

@Suite struct StripeHandlerTests {
    let stripe = StripeIntegration(configuration: StripeConfiguration(apiKey: "sk_test"))
    let secret = "whsec_handler_test"
    let body = Array(
        #"""
        {"id":"evt_1PgafnB7WZ01zgkW","object":"event","api_version":"2024-06-20","created":1721917439,
         "data":{"object":{"id":"price_1","object":"price","active":true,"currency":"usd","type":"one_time","unit_amount":500},
                 "previous_attributes":{"unit_amount":400}},
         "livemode":false,"pending_webhooks":1,"request":{"id":"req_abc","idempotency_key":"k-1"},"type":"price.updated"}
        """#.utf8)

    func send(_ body: [UInt8], header: String?, secret: String? = nil) async throws -> HandlerResult {
        try await handle(
            stripe.source, params: StripeSourceParams(), secret: secret ?? self.secret,
            headers: header.map { [("Stripe-Signature", $0)] } ?? [], body: body)
    }

    @Test func validDeliveryBecomesOneEvent() async throws {
        let result = try await send(body, header: StripeSignature.header(body: body, secrets: [secret], timestamp: now))
        let event = try #require(result.events.first)
        #expect(result.events.count == 1)
        #expect(event.id == "evt_1PgafnB7WZ01zgkW" && event.name == "price.updated" && event.source == "stripe.com")
        #expect(event.timestamp == Date(timeIntervalSince1970: 1_721_917_439))
        #expect(event.payload["id"] == "price_1")
        #expect(event.context["apiVersion"] == "2024-06-20" && event.context["livemode"] == false)
        #expect(event.context["request"]?["id"] == "req_abc")
        #expect(event.context["previousAttributes"]?["unit_amount"] == 400)
        #expect(event.sourceKey == "stripe.webhook")
        let price = try StripeEvents.priceUpdated.parse(event.payload)
        #expect(price.unitAmount == 500)
    }

    @Test func badDeliveriesAreRejectedAndYieldNoEvent() async throws {
        let t = now
        let good = StripeSignature.header(body: body, secrets: [secret], timestamp: t)
        var tampered = body
        tampered[tampered.count - 3] = UInt8(ascii: "X")
        let cases: [(String, [UInt8], String?)] = [
            ("tampered body", tampered, good),
            ("wrong secret", body, StripeSignature.header(body: body, secrets: ["whsec_wrong"], timestamp: t)),
            ("missing header", body, nil),
            ("malformed header", body, "v1=abc"),
            ("stale timestamp", body, StripeSignature.header(body: body, secrets: [secret], timestamp: t - 400)),
            ("future timestamp", body, StripeSignature.header(body: body, secrets: [secret], timestamp: t + 400)),
        ]
        for (name, body, header) in cases {
            let r = await rejection { try await send(body, header: header) }
            #expect(r?.reason == .badSignature && r?.status == 401, "\(name)")
        }
    }

    @Test func anyOfSeveralSignaturesIsEnough() async throws {
        let header = StripeSignature.header(body: body, secrets: ["whsec_previous", secret], timestamp: now)
        #expect(try await send(body, header: header).events.count == 1)
    }

    @Test func malformedJSONWithAValidSignatureIsA400() async throws {
        let bad = Array(#"{"id":"evt_1","type":"#.utf8)
        let r = await rejection { try await send(bad, header: StripeSignature.header(body: bad, secrets: [secret], timestamp: now)) }
        #expect(r?.reason == .malformedBody && r?.status == 400)
        let notEvent = Array(#"{"id":"evt_1"}"#.utf8)
        let r2 = await rejection {
            try await send(notEvent, header: StripeSignature.header(body: notEvent, secrets: [secret], timestamp: now))
        }
        #expect(r2?.reason == .malformedBody)
        // data.object is checked, not built: a flaw only there is still the body's, and a 400.
        let badObject = Array(#"{"id":"evt_1","type":"price.created","data":{"object":{"id":"price_1","note":"\q"}}}"#.utf8)
        let r3 = await rejection {
            try await send(badObject, header: StripeSignature.header(body: badObject, secrets: [secret], timestamp: now))
        }
        #expect(r3?.reason == .malformedBody && r3?.message.hasPrefix("the body is not JSON") == true)
        let objectNotObject = Array(#"{"id":"evt_1","type":"price.created","data":{"object":[1]}}"#.utf8)
        let r4 = await rejection {
            try await send(objectNotObject, header: StripeSignature.header(body: objectNotObject, secrets: [secret], timestamp: now))
        }
        #expect(r4?.reason == .malformedBody && r4?.message.hasPrefix("not a Stripe event") == true)
    }

    @Test func thePublishedPayloadIsDataObjectAsItCame() async throws {
        let result = try await send(body, header: StripeSignature.header(body: body, secrets: [secret], timestamp: now))
        let event = try #require(result.events.first)
        let published = CloudEvent.encode(event).value
        let text = String(decoding: try #require(published), as: UTF8.self)
        #expect(text == #"{"id":"price_1","object":"price","active":true,"currency":"usd","type":"one_time","unit_amount":500}"#)
        #expect(try CloudEvent.decode(CloudEvent.encode(event)).payload == event.payload)
    }

    @Test func noSecretYetAsksStripeToRetry() async throws {
        let r = await rejection {
            try await handle(
                stripe.source, params: StripeSourceParams(), secret: nil, headers: [("Stripe-Signature", "t=1,v1=00")], body: body)
        }
        #expect(r?.status == 503)
    }

    @Test func toleranceIsConfigurable() async throws {
        let lenient = StripeIntegration(
            configuration: StripeConfiguration(apiKey: "k"), signature: StripeSignature(tolerance: .seconds(900)))
        let header = StripeSignature.header(body: body, secrets: [secret], timestamp: now - 600)
        let result = try await handle(
            lenient.source, params: StripeSourceParams(), secret: secret, headers: [("stripe-signature", header)], body: body)
        #expect(result.events.count == 1)
    }
}

@Suite struct GitHubHandlerTests {
    let github = GitHubIntegration(configuration: GitHubConfiguration(token: "t"))
    let secret = GitHubSignature.generateSecret()
    let body = Array(
        #"{"ref":"refs/heads/main","after":"0d1a26e","repository":{"full_name":"acme/web"},"sender":{"login":"octocat"}}"#.utf8)

    func send(
        _ body: [UInt8], event: String? = "push", signature: String?, delivery: String? = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    ) async throws -> HandlerResult {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let event { headers.append(("X-GitHub-Event", event)) }
        if let delivery { headers.append(("X-GitHub-Delivery", delivery)) }
        if let signature { headers.append(("X-Hub-Signature-256", signature)) }
        return try await handle(
            github.source, params: GitHubSourceParams(.repository(owner: "acme", name: "web")), secret: secret, headers: headers, body: body
        )
    }

    @Test func validDeliveryBecomesOneEvent() async throws {
        let result = try await send(body, signature: GitHubSignature.header(body: body, secret: secret))
        let event = try #require(result.events.first)
        #expect(event.name == "push" && event.id == "72d3162e-cc78-11e3-81ab-4c9367dc0958" && event.source == "github.com")
        #expect(event.payload["ref"] == "refs/heads/main")
        #expect(event.payloadBytes == body)
        #expect(event.sourceKey == "acme/web")
    }

    @Test func pingIsAnswered200AndRunsNothing() async throws {
        let ping = Array(#"{"zen":"Design for failure.","hook_id":12345}"#.utf8)
        let result = try await send(ping, event: "ping", signature: GitHubSignature.header(body: ping, secret: secret))
        #expect(result.events.isEmpty)
        #expect(result.response?.status == 200)
    }

    @Test func badDeliveriesAreRejected() async throws {
        let good = GitHubSignature.header(body: body, secret: secret)
        let cases: [(String, [UInt8], String?)] = [
            ("tampered body", body + Array(" ".utf8), good),
            ("wrong secret", body, GitHubSignature.header(body: body, secret: "other")),
            ("missing signature (accepted by Trigger.dev, not by us)", body, nil),
            ("sha1 only", body, "sha1=0123"),
        ]
        for (name, body, signature) in cases {
            let r = await rejection { try await send(body, signature: signature) }
            #expect(r?.reason == .badSignature && r?.status == 401, "\(name)")
        }
        let unsignedPing = await rejection { try await send(body, event: "ping", signature: nil) }
        #expect(unsignedPing?.reason == .badSignature)
    }

    @Test func malformedJSONAndMissingEventHeadersAreA400() async throws {
        let bad = Array("{not json".utf8)
        let r = await rejection { try await send(bad, signature: GitHubSignature.header(body: bad, secret: secret)) }
        #expect(r?.reason == .malformedBody && r?.status == 400)
        // The payload is checked, not built: a flaw deep inside it is still a 400, as is a body that is not an object.
        let deep = Array(#"{"ref":"refs/heads/main","commits":[{"message":"a lone \udc00 surrogate"}]}"#.utf8)
        let r2 = await rejection { try await send(deep, signature: GitHubSignature.header(body: deep, secret: secret)) }
        #expect(r2?.reason == .malformedBody && r2?.message.hasPrefix("the body is not JSON") == true)
        let list = Array("[1, 2]".utf8)
        let r3 = await rejection { try await send(list, signature: GitHubSignature.header(body: list, secret: secret)) }
        #expect(r3?.message == "the body is not a JSON object")
        let signed = GitHubSignature.header(body: body, secret: secret)
        #expect(await rejection { try await send(body, event: nil, signature: signed) }?.reason == .malformedBody)
        #expect(await rejection { try await send(body, signature: signed, delivery: nil) }?.reason == .malformedBody)
    }
}

@Suite struct StandardWebhooksHandlerTests {
    let integration = StandardWebhooks()
    let params = StandardWebhookParams(name: "resend", eventSource: "resend.com")
    let secret = StandardWebhookSignature.generateSecret()
    let body = Array(
        #"{"type":"email.delivered","created_at":"2024-07-25T12:00:00.000Z","data":{"email_id":"4ef9a417-02e9-4d39-ad75-9611e0fcc33c","to":["jenny@acme.example"]}}"#
            .utf8)

    func send(_ body: [UInt8], id: String? = "msg_2Kq7nJ", timestamp: Int64? = nil, signature: String?) async throws -> HandlerResult {
        var headers: [(String, String)] = []
        if let id { headers.append(("webhook-id", id)) }
        headers.append(("webhook-timestamp", String(timestamp ?? now)))
        if let signature { headers.append(("webhook-signature", signature)) }
        return try await handle(integration.source, params: params, secret: secret, headers: headers, body: body)
    }

    func sign(_ body: [UInt8], id: String = "msg_2Kq7nJ", timestamp: Int64? = nil, secrets: [String]? = nil) -> String {
        StandardWebhookSignature.header(body: body, id: id, timestamp: timestamp ?? now, secrets: secrets ?? [secret])!
    }

    @Test func validDeliveryIsNamedByItsType() async throws {
        let event = try #require(try await send(body, signature: sign(body)).events.first)
        #expect(event.name == "email.delivered" && event.id == "msg_2Kq7nJ" && event.source == "resend.com")
        #expect(event.sourceKey == "webhooks.resend")
        #expect(event.payload["data"]?["email_id"] == "4ef9a417-02e9-4d39-ad75-9611e0fcc33c")
    }

    @Test func badDeliveriesAreRejected() async throws {
        let t = now
        let cases: [(String, [UInt8], Int64, String?)] = [
            ("tampered body", body + [0x20], t, sign(body, timestamp: t)),
            ("wrong secret", body, t, sign(body, timestamp: t, secrets: [StandardWebhookSignature.generateSecret()])),
            ("missing signature", body, t, nil),
            ("stale timestamp", body, t - 400, sign(body, timestamp: t - 400)),
            ("future timestamp", body, t + 400, sign(body, timestamp: t + 400)),
        ]
        for (name, body, timestamp, signature) in cases {
            let r = await rejection { try await send(body, timestamp: timestamp, signature: signature) }
            #expect(r?.reason == .badSignature && r?.status == 401, "\(name)")
        }
        #expect(await rejection { try await send(body, id: nil, signature: sign(body)) }?.reason == .badSignature)
    }

    @Test func anyOfSeveralSignaturesIsEnough() async throws {
        let signature = sign(body, secrets: [StandardWebhookSignature.generateSecret(), secret])
        #expect(try await send(body, signature: signature).events.count == 1)
    }

    @Test func malformedJSONAndMissingTypeAreA400() async throws {
        let bad = Array("[1,".utf8)
        #expect(await rejection { try await send(bad, signature: sign(bad)) }?.reason == .malformedBody)
        let untyped = Array(#"{"data":{}}"#.utf8)
        #expect(await rejection { try await send(untyped, signature: sign(untyped)) }?.reason == .malformedBody)
    }

    @Test func registerKeepsTheOperatorsSecret() async throws {
        var sim = RegistrarSimulator(source: integration.source, params: params, url: "https://hooks.example/sources/webhooks.resend")
        sim.secret = secret
        try await sim.register(["email.delivered", "email.bounced"])
        #expect(sim.secret == secret && sim.registered == ["email.bounced", "email.delivered"])
    }
}
