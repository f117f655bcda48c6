import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

@Suite struct ShopifyHandlerTests {
    let shopify = ShopifyIntegration()
    let secret = "shpss_0123456789abcdef0123456789abcdef"
    let body = Array(
        ##"{"id":5801234567890,"name":"#1001","email":"bob@example.com","currency":"USD","total_price":"59.90","financial_status":"paid"}"##
            .utf8)

    func send(
        _ body: [UInt8], signature: String?, topic: String? = "orders/create", id: String? = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
    ) async throws -> HandlerResult {
        var headers: [(String, String)] = [
            ("X-Shopify-Shop-Domain", "acme-outdoor.myshopify.com"), ("X-Shopify-API-Version", "2024-07"),
            ("X-Shopify-Triggered-At", "2024-07-25T14:05:42Z"),
        ]
        if let signature { headers.append((ShopifySignature.signatureHeader, signature)) }
        if let topic { headers.append((ShopifyIntegration.topicHeader, topic)) }
        if let id { headers.append((ShopifyIntegration.webhookIdHeader, id)) }
        return try await deliver(shopify.source, name: "acme-outdoor.myshopify.com", secret: secret, headers: headers, body: body)
    }

    @Test func validDeliveryIsNamedByItsTopic() async throws {
        let result = try await send(body, signature: ShopifySignature.header(body: body, secret: secret))
        let event = try #require(result.events.first)
        #expect(result.events.count == 1)
        #expect(event.id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043" && event.name == "orders/create" && event.source == "shopify.com")
        #expect(event.payload["name"] == "#1001" && event.payloadBytes == body)
        #expect(event.context["shopDomain"] == "acme-outdoor.myshopify.com" && event.context["apiVersion"] == "2024-07")
        #expect(event.timestamp == RFC3339.date(from: "2024-07-25T14:05:42Z"))
        #expect(event.sourceKey == "shopify.acme-outdoor.myshopify.com")
    }

    @Test func badDeliveriesAreA401() async throws {
        let good = ShopifySignature.header(body: body, secret: secret)
        let cases: [(String, [UInt8], String?)] = [
            ("forged (wrong secret)", body, ShopifySignature.header(body: body, secret: "shpss_other")),
            ("tampered body", tampered(body), good),
            ("missing header", body, nil),
            ("not base64", body, "%%%"),
            ("truncated", body, String(good.prefix(20))),
        ]
        for (name, body, signature) in cases {
            let r = await rejectionOf { try await send(body, signature: signature) }
            #expect(r?.reason == .badSignature && r?.status == 401, "\(name)")
        }
    }

    @Test func missingTopicOrIdOrAMalformedBodyIsA400() async throws {
        let good = ShopifySignature.header(body: body, secret: secret)
        let noTopic = await rejectionOf { try await send(body, signature: good, topic: nil) }
        #expect(noTopic?.status == 400 && noTopic?.message.contains("X-Shopify-Topic") == true)
        let noId = await rejectionOf { try await send(body, signature: good, id: nil) }
        #expect(noId?.status == 400)
        let garbage = Array("{not json".utf8)
        let malformed = await rejectionOf { try await send(garbage, signature: ShopifySignature.header(body: garbage, secret: secret)) }
        #expect(malformed?.status == 400)
    }

    @Test func providerDeclaresKeysAndEvents() throws {
        try checkNamedProvider(
            ShopifyIntegration.provider, prefix: "shopify", sourceId: "shopify", eventSource: "shopify.com",
            events: ["orders/create", "orders/paid", "products/update", "customers/create", "app/uninstalled"],
            variables: ["SHOPIFY_ACCESS_TOKEN", "SHOPIFY_API_BASE"])
    }
}
