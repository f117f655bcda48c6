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

    @Test func interactionsAndSlashCommandsAreFormBodiesAcknowledgedEmpty() async throws {
        let interaction =
            #"{"type":"block_actions","trigger_id":"7491233105.1216.3f8bb4b16c3d4e8e","team":{"id":"T061EG9R6"},"user":{"id":"U061F7AUR"},"actions":[{"action_id":"approve","value":"deploy-42"}]}"#
        let form = TwilioForm.encode([("payload", interaction)])
        let result = try await send(form, signature: sign(form))
        let event = try #require(result.events.first)
        #expect(event.name == "block_actions" && event.id == "7491233105.1216.3f8bb4b16c3d4e8e" && event.source == "slack.com")
        #expect(event.payload["actions"]?.arrayValue?.first?["value"] == "deploy-42" && event.context["userId"] == "U061F7AUR")
        #expect(result.response?.status == 200 && result.response?.body.isEmpty == true)

        let command = TwilioForm.encode([
            ("token", "gIkuvaNzQIHg97ATvDxqgjtO"), ("team_id", "T061EG9R6"), ("command", "/deploy"), ("text", "web production"),
            ("user_id", "U061F7AUR"), ("response_url", "https://hooks.slack.com/commands/T061EG9R6/1/xyz"),
            ("trigger_id", "7491233105.1216.5e6f7a8b9c0d"),
        ])
        let ran = try await send(command, signature: sign(command))
        #expect(ran.events.map(\.name) == ["slash_command"] && ran.events.map(\.id) == ["7491233105.1216.5e6f7a8b9c0d"])
        #expect(ran.events.first?.payload["text"] == "web production" && ran.events.first?.context["command"] == "/deploy")
        #expect(ran.response?.status == 200 && ran.response?.body.isEmpty == true)

        // The same signature rules: a forged or tampered form is a 401.
        let forged = await rejectionOf { try await send(form, signature: sign(form, secret: "other")) }
        #expect(forged?.status == 401)
        let changed = await rejectionOf { try await send(tampered(command), signature: sign(command)) }
        #expect(changed?.status == 401)
        for (name, body) in [
            ("payload not JSON", TwilioForm.encode([("payload", "{nope")])),
            ("payload without type", TwilioForm.encode([("payload", "{}")])),
            ("neither payload nor command", TwilioForm.encode([("text", "hi")])),
        ] {
            let r = await rejectionOf { try await send(body, signature: sign(body)) }
            #expect(r?.status == 400, "\(name)")
        }
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
            events: [
                "message", "app_mention", "reaction_added", "member_joined_channel", "app_home_opened", "block_actions", "view_submission",
                "shortcut", "slash_command",
            ])
    }
}
