import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

@Suite struct SlackHandlerTests {
    let slack = SlackIntegration()
    let secret = "8f742231b10e8888abcd99yyyzzz85a5"
    let body = Array(
        #"""
        {"token":"z26uFbvR1xHJEdHE1OQiO6t8","team_id":"T061EG9R6","api_app_id":"A0MDYCDME","event":{"type":"message","channel":"C0784AB2CDE","user":"U061F7AUR","text":"Deploy finished","ts":"1721917439.000200","event_ts":"1721917439.000200","channel_type":"channel"},"type":"event_callback","event_id":"Ev0784AB2CDE","event_time":1721917439,"authorizations":[{"enterprise_id":null,"team_id":"T061EG9R6","user_id":"U0LAN0Z89","is_bot":true}]}
        """#.utf8)

    func send(
        _ body: [UInt8], timestamp: Int64? = nil, signature: String?, includeTimestamp: Bool = true, secret: String? = nil
    ) async throws -> HandlerResult {
        var headers: [(String, String)] = []
        if includeTimestamp { headers.append((SlackSignature.timestampHeader, "\(timestamp ?? unixNow)")) }
        if let signature { headers.append((SlackSignature.signatureHeader, signature)) }
        return try await deliver(slack.source, name: "acme-bot", secret: secret ?? self.secret, headers: headers, body: body)
    }

    func sign(_ body: [UInt8], timestamp: Int64? = nil, secret: String? = nil) -> String {
        SlackSignature.header(body: body, timestamp: timestamp ?? unixNow, secret: secret ?? self.secret)
    }

    @Test func validEventCallbackBecomesOneEvent() async throws {
        let result = try await send(body, signature: sign(body))
        let event = try #require(result.events.first)
        #expect(result.events.count == 1 && result.response == nil)
        #expect(event.id == "Ev0784AB2CDE" && event.name == "message" && event.source == "slack.com")
        #expect(event.timestamp == Date(timeIntervalSince1970: 1_721_917_439))
        #expect(event.payload["text"] == "Deploy finished" && event.payload["channel"] == "C0784AB2CDE")
        #expect(event.context["teamId"] == "T061EG9R6" && event.context["apiAppId"] == "A0MDYCDME")
        #expect(event.sourceKey == "slack.acme-bot")
    }

    @Test func urlVerificationIsAnsweredWithItsChallenge() async throws {
        let challenge = Array(
            #"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#
                .utf8)
        let result = try await send(challenge, signature: sign(challenge))
        let response = try #require(result.response)
        #expect(result.events.isEmpty)
        #expect(response.status == 200 && response.headers["Content-Type"] == "text/plain")
        #expect(String(decoding: response.body, as: UTF8.self) == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
        let unsigned = await rejectionOf { try await send(challenge, signature: nil) }
        #expect(unsigned?.status == 401, "an unsigned challenge is not answered")
    }

    @Test func badDeliveriesAreA401() async throws {
        let t = unixNow
        let good = sign(body, timestamp: t)
        let cases: [(String, [UInt8], Int64, String?, Bool)] = [
            ("forged (wrong secret)", body, t, sign(body, timestamp: t, secret: "someone-elses-secret"), true),
            ("tampered body", tampered(body), t, good, true),
            ("signed at another time", body, t + 1, good, true),
            ("stale timestamp", body, t - 400, sign(body, timestamp: t - 400), true),
            ("future timestamp", body, t + 400, sign(body, timestamp: t + 400), true),
            ("missing signature", body, t, nil, true),
            ("missing timestamp", body, t, good, false),
            ("other scheme", body, t, "v1=" + good.dropFirst(3), true),
            ("not hex", body, t, "v0=zz", true),
        ]
        for (name, body, timestamp, signature, includeTimestamp) in cases {
            let r = await rejectionOf {
                try await send(body, timestamp: timestamp, signature: signature, includeTimestamp: includeTimestamp)
            }
            #expect(r?.reason == .badSignature && r?.status == 401, "\(name)")
        }
        let missing = await rejectionOf { try await send(body, signature: nil) }
        #expect(missing?.message.contains("X-Slack-Signature") == true)
    }

    @Test func malformedOrUnknownPayloadsAreA400() async throws {
        for text in ["{not json", #"{"type":"event_callback","event_id":"Ev1"}"#, #"{"type":"block_actions"}"#, "[]"] {
            let bytes = Array(text.utf8)
            let r = await rejectionOf { try await send(bytes, signature: sign(bytes)) }
            #expect(r?.status == 400, "\(text)")
        }
        let limited = Array(#"{"token":"t","type":"app_rate_limited","team_id":"T061EG9R6","minute_rate_limited":1721917440}"#.utf8)
        let result = try await send(limited, signature: sign(limited))
        #expect(result.events.isEmpty && result.response == nil)
    }

    @Test func noSecretYetIsA503NamingTheCommand() async throws {
        let r = await rejectionOf {
            try await deliver(slack.source, name: "acme-bot", secret: nil, headers: [], body: body)
        }
        #expect(r?.status == 503)
        #expect(r?.message.contains("tributary sources set-secret slack.acme-bot") == true)
    }

    @Test func providerDeclaresKeysAndEvents() throws {
        try checkNamedProvider(
            SlackIntegration.provider, prefix: "slack", sourceId: "slack", eventSource: "slack.com",
            events: ["message", "app_mention", "reaction_added", "member_joined_channel", "app_home_opened"])
    }
}
