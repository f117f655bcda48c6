import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

@Suite struct LinearHandlerTests {
    let linear = LinearIntegration()
    let secret = "lin_wh_0123456789abcdef0123456789abcdef"

    func body(timestamp milliseconds: Int64? = nil) -> [UInt8] {
        let ms = milliseconds ?? unixNow * 1000
        return Array(
            #"{"action":"create","type":"Issue","createdAt":"2024-07-25T14:02:11.000Z","data":{"id":"c0ffee00-1234-4abc-9def-0123456789ab","identifier":"ENG-142","title":"Checkout total is off by a cent"},"url":"https://linear.app/acme/issue/ENG-142","organizationId":"3f2b1c4d","webhookId":"9a8b7c6d","webhookTimestamp":\#(ms)}"#
                .utf8)
    }

    func send(_ body: [UInt8], signature: String?, delivery: String? = "234d1a4e-b617-4388-90fe-adc3633d6b72") async throws -> HandlerResult
    {
        var headers: [(String, String)] = [("Linear-Event", "Issue")]
        if let signature { headers.append((LinearSignature.signatureHeader, signature)) }
        if let delivery { headers.append(("Linear-Delivery", delivery)) }
        return try await deliver(linear.source, name: "eng", secret: secret, headers: headers, body: body)
    }

    @Test func validDeliveryIsNamedByItsType() async throws {
        let ms = unixNow * 1000
        let bytes = body(timestamp: ms)
        let result = try await send(bytes, signature: LinearSignature.header(body: bytes, secret: secret))
        let event = try #require(result.events.first)
        #expect(result.events.count == 1)
        #expect(event.id == "234d1a4e-b617-4388-90fe-adc3633d6b72" && event.name == "Issue" && event.source == "linear.app")
        #expect(event.payload["action"] == "create" && event.payload["data"]?["identifier"] == "ENG-142")
        #expect(event.context["action"] == "create" && event.context["organizationId"] == "3f2b1c4d")
        #expect(event.timestamp == Date(timeIntervalSince1970: Double(ms) / 1000))
        #expect(event.sourceKey == "linear.eng")
        let without = try await send(bytes, signature: LinearSignature.header(body: bytes, secret: secret), delivery: nil)
        #expect(without.events.first?.id == "c0ffee00-1234-4abc-9def-0123456789ab.create.\(ms)")
    }

    @Test func badDeliveriesAreA401() async throws {
        let fresh = body()
        let good = LinearSignature.header(body: fresh, secret: secret)
        let stale = body(timestamp: (unixNow - 61) * 1000)
        let future = body(timestamp: (unixNow + 61) * 1000)
        let noTimestamp = Array(#"{"action":"create","type":"Issue","data":{"id":"x"}}"#.utf8)
        let cases: [(String, [UInt8], String?)] = [
            ("forged (wrong secret)", fresh, LinearSignature.header(body: fresh, secret: "lin_wh_other")),
            ("tampered body", tampered(fresh), good),
            ("stale webhookTimestamp", stale, LinearSignature.header(body: stale, secret: secret)),
            ("future webhookTimestamp", future, LinearSignature.header(body: future, secret: secret)),
            ("no webhookTimestamp", noTimestamp, LinearSignature.header(body: noTimestamp, secret: secret)),
            ("missing header", fresh, nil),
            ("not hex", fresh, "sha256=" + good),
        ]
        for (name, body, signature) in cases {
            let r = await rejectionOf { try await send(body, signature: signature) }
            #expect(r?.reason == .badSignature && r?.status == 401, "\(name)")
        }
    }

    @Test func malformedBodiesAreA400() async throws {
        let ms = unixNow * 1000
        for text in ["{not json", #"{"action":"create","webhookTimestamp":\#(ms)}"#] {
            let bytes = Array(text.utf8)
            let r = await rejectionOf { try await send(bytes, signature: LinearSignature.header(body: bytes, secret: secret)) }
            #expect(r?.status == 400, "\(text)")
        }
    }

    @Test func providerDeclaresKeysAndEvents() throws {
        try checkNamedProvider(
            LinearIntegration.provider, prefix: "linear", sourceId: "linear", eventSource: "linear.app",
            events: ["Issue", "Comment", "Project"],
            variables: ["LINEAR_API_KEY", "LINEAR_API_BASE"])
    }
}
