import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

@Suite struct TypeformHandlerTests {
    let typeform = TypeformIntegration()
    let secret = "tf_secret_0123456789"
    let body = Array(
        #"{"event_id":"01J3N4XKQ8ZS4YQ2V6PZ9D7F1C","event_type":"form_response","form_response":{"form_id":"lT4Z3j","token":"a3a12ec67a1365927098a606107fac15","submitted_at":"2024-07-25T14:02:11Z","answers":[{"type":"number","number":9,"field":{"id":"DlXFaesGBpoF","type":"opinion_scale","ref":"nps"}}]}}"#
            .utf8)

    func send(_ body: [UInt8], signature: String?) async throws -> HandlerResult {
        try await deliver(
            typeform.source, name: "lT4Z3j", secret: secret, headers: signature.map { [(TypeformSignature.signatureHeader, $0)] } ?? [],
            body: body)
    }

    @Test func validDeliveryIsOneFormResponse() async throws {
        let result = try await send(body, signature: TypeformSignature.header(body: body, secret: secret))
        let event = try #require(result.events.first)
        #expect(result.events.count == 1)
        #expect(event.id == "01J3N4XKQ8ZS4YQ2V6PZ9D7F1C" && event.name == "form_response" && event.source == "typeform.com")
        #expect(event.payload["token"] == "a3a12ec67a1365927098a606107fac15" && event.context["formId"] == "lT4Z3j")
        #expect(event.timestamp == RFC3339.date(from: "2024-07-25T14:02:11Z"))
        #expect(event.sourceKey == "typeform.lT4Z3j")
    }

    @Test func badDeliveriesAreA401() async throws {
        let good = TypeformSignature.header(body: body, secret: secret)
        let cases: [(String, [UInt8], String?)] = [
            ("forged (wrong secret)", body, TypeformSignature.header(body: body, secret: "other")),
            ("tampered body", tampered(body), good),
            ("missing header", body, nil),
            ("no sha256= prefix", body, String(good.dropFirst("sha256=".count))),
            ("not base64", body, "sha256=%%%"),
        ]
        for (name, body, signature) in cases {
            let r = await rejectionOf { try await send(body, signature: signature) }
            #expect(r?.reason == .badSignature && r?.status == 401, "\(name)")
        }
    }

    @Test func malformedBodiesAreA400() async throws {
        for text in ["{not json", #"{"event_type":"form_response"}"#, #"{"event_id":"e1","event_type":"form_response"}"#] {
            let bytes = Array(text.utf8)
            let r = await rejectionOf { try await send(bytes, signature: TypeformSignature.header(body: bytes, secret: secret)) }
            #expect(r?.status == 400, "\(text)")
        }
    }

    @Test func providerDeclaresKeysAndEvents() throws {
        try checkNamedProvider(
            TypeformIntegration.provider, prefix: "typeform", sourceId: "typeform", eventSource: "typeform.com",
            events: ["form_response"],
            variables: ["TYPEFORM_TOKEN", "TYPEFORM_API_BASE"])
    }
}
