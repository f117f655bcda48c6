import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

@Suite struct TwilioHandlerTests {
    let twilio = TwilioIntegration()
    let authToken = "12345"
    let url = "https://hooks.example.com/sources/twilio.support?region=us"
    let parameters: [(name: String, value: String)] = [
        ("ToCountry", "US"), ("SmsMessageSid", "SM1f0e8ae6ade43cb3c0ce4525424e404f"), ("NumMedia", "0"), ("SmsStatus", "received"),
        ("Body", "Is my order shipped? 100% sure & fast"), ("To", "+14155550100"),
        ("MessageSid", "SM1f0e8ae6ade43cb3c0ce4525424e404f"), ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
        ("From", "+14155550199"), ("ApiVersion", "2010-04-01"),
    ]
    var body: [UInt8] { TwilioForm.encode(parameters) }

    func send(_ body: [UInt8], signature: String?, url: String?? = .none) async throws -> HandlerResult {
        try await deliver(
            twilio.source, name: "support", secret: authToken,
            headers: signature.map { [(TwilioSignature.signatureHeader, $0), ("Content-Type", "application/x-www-form-urlencoded")] } ?? [],
            body: body, url: url ?? self.url)
    }

    func sign(_ parameters: [(name: String, value: String)], url: String? = nil, token: String? = nil) -> String {
        TwilioSignature.header(url: url ?? self.url, parameters: parameters, authToken: token ?? authToken)
    }

    /// The signed text is the URL, then the parameters sorted by name, each name then value (Twilio's
    /// documented example: https://mycompany.com/myapp.php?foo=1&bar=2 with five parameters, token 12345).
    @Test func signatureMatchesTwilioDocumentedExample() {
        let documented: [(name: String, value: String)] = [
            ("Digits", "1234"), ("To", "+18005551212"), ("From", "+14158675310"), ("Caller", "+14158675310"),
            ("CallSid", "CA1234567890ABCDE"),
        ]
        let documentedURL = "https://mycompany.com/myapp.php?foo=1&bar=2"
        let text = TwilioSignature.signedText(url: documentedURL, parameters: documented)
        #expect(
            text
                == "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675310Digits1234From+14158675310To+18005551212"
        )
        let header = TwilioSignature.header(url: documentedURL, parameters: documented, authToken: "12345")
        #expect(header == "GvWf1cFY/Q7PnoempGyD5oXAezc=")
    }

    @Test func anIncomingMessageBecomesOneEventAnsweredWithTwiML() async throws {
        let result = try await send(body, signature: sign(parameters))
        let event = try #require(result.events.first)
        #expect(result.events.count == 1)
        #expect(event.id == "SM1f0e8ae6ade43cb3c0ce4525424e404f" && event.name == "message.received" && event.source == "twilio.com")
        #expect(event.payload["Body"] == "Is my order shipped? 100% sure & fast" && event.payload["From"] == "+14155550199")
        #expect(event.context["accountSid"] == "AC0123456789abcdef0123456789abcdef")
        #expect(event.sourceKey == "twilio.support")
        let response = try #require(result.response)
        #expect(response.headers["Content-Type"] == "text/xml")
        #expect(String(decoding: response.body, as: UTF8.self).contains("<Response></Response>"))
    }

    @Test func statusCallbacksAndCallsAreNamedByWhatTheyAre() async throws {
        let status: [(name: String, value: String)] = [("MessageSid", "SM3e4b"), ("MessageStatus", "delivered"), ("AccountSid", "AC01")]
        let statusEvent = try #require(try await send(TwilioForm.encode(status), signature: sign(status)).events.first)
        #expect(statusEvent.name == "message.status" && statusEvent.id == "SM3e4b.delivered")
        let call: [(name: String, value: String)] = [("CallSid", "CA5f1a"), ("CallStatus", "ringing"), ("From", "+14155550199")]
        let callEvent = try #require(try await send(TwilioForm.encode(call), signature: sign(call)).events.first)
        #expect(callEvent.name == "call.incoming" && callEvent.id == "CA5f1a")
        let ended: [(name: String, value: String)] = [("CallSid", "CA5f1a"), ("CallStatus", "completed"), ("CallDuration", "42")]
        let endedEvent = try #require(try await send(TwilioForm.encode(ended), signature: sign(ended)).events.first)
        #expect(endedEvent.name == "call.status" && endedEvent.id == "CA5f1a.completed")
    }

    @Test func badRequestsAreA401() async throws {
        let good = sign(parameters)
        var changed = parameters
        changed[4].value = "Refund me"
        let cases: [(String, [UInt8], String?, String?)] = [
            ("forged (wrong token)", body, sign(parameters, token: "67890"), url),
            ("tampered body", TwilioForm.encode(changed), good, url),
            ("another URL", body, good, "https://hooks.example.com/sources/twilio.support"),
            ("missing signature", body, nil, url),
            ("not base64", body, "%%%", url),
        ]
        for (name, body, signature, url) in cases {
            let r = await rejectionOf { try await send(body, signature: signature, url: url) }
            #expect(r?.reason == .badSignature && r?.status == 401, "\(name)")
        }
    }

    @Test func withoutThePublicURLTheReceiverAnswers503() async throws {
        let r = await rejectionOf { try await send(body, signature: sign(parameters), url: .some(nil)) }
        #expect(r?.status == 503 && r?.message.contains("RECEIVER_PUBLIC_URL") == true)
    }

    @Test func parametersWithoutASidAreA400() async throws {
        let other: [(name: String, value: String)] = [("Foo", "bar")]
        let r = await rejectionOf { try await send(TwilioForm.encode(other), signature: sign(other)) }
        #expect(r?.status == 400)
    }

    @Test func aJSONBodyIsCheckedByItsHashInTheSignedURL() async throws {
        let json = Array(#"{"type":"com.twilio.messaging.message.delivered","id":"EZ0123","data":{"messageSid":"SM1"}}"#.utf8)
        let signedURL = TwilioSignature.url(url, withBodyHashOf: json)
        #expect(signedURL.hasPrefix(url + "&bodySHA256="))
        let signature = sign([], url: signedURL)
        let result = try await send(json, signature: signature, url: signedURL)
        #expect(result.events.map(\.name) == ["com.twilio.messaging.message.delivered"] && result.events.map(\.id) == ["EZ0123"])
        #expect(result.events.first?.payload["data"]?["messageSid"] == "SM1")

        let message = Array(#"{"MessageSid":"SM9","AccountSid":"AC1","From":"+14155550199","Body":"hi"}"#.utf8)
        let messageURL = TwilioSignature.url(url, withBodyHashOf: message)
        let received = try await send(message, signature: sign([], url: messageURL), url: messageURL)
        #expect(received.events.map(\.name) == ["message.received"] && received.events.map(\.id) == ["SM9"])

        let cases: [(String, [UInt8], String, String)] = [
            ("tampered body", tampered(json), signature, signedURL),
            ("forged", json, sign([], url: signedURL, token: "other"), signedURL),
            (
                "another hash in the URL", json, sign([], url: TwilioSignature.url(url, withBodyHashOf: message)),
                TwilioSignature.url(url, withBodyHashOf: message)
            ),
            ("hash dropped from the URL", json, signature, url),
            ("hash not hex", json, sign([], url: url + "&bodySHA256=zz"), url + "&bodySHA256=zz"),
        ]
        for (name, body, signature, url) in cases {
            let r = await rejectionOf { try await send(body, signature: signature, url: url) }
            #expect(r?.status == 401 && r?.reason == .badSignature, "\(name): \(r?.message ?? "accepted")")
        }
        let unknown = Array(#"{"hello":"world"}"#.utf8)
        let unknownURL = TwilioSignature.url(url, withBodyHashOf: unknown)
        let r = await rejectionOf { try await send(unknown, signature: sign([], url: unknownURL), url: unknownURL) }
        #expect(r?.status == 400)
    }

    @Test func providerDeclaresKeysAndEvents() throws {
        try checkNamedProvider(
            TwilioIntegration.provider, prefix: "twilio", sourceId: "twilio", eventSource: "twilio.com",
            events: ["message.received", "message.status", "call.incoming", "call.status"])
    }
}
