import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Tributary
import TributaryIntegrations
import TributaryKafka

/// Providers that answer the receiver's request themselves (Slack's challenge, Discord's PONG, Twilio's
/// TwiML), through the HTTP router in memory.
@Suite("receiver: Slack, Discord and Twilio answers", .serialized)
struct NamedProviderReceiverTests {
    static let slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"
    static let publicURL = "https://hooks.example.com"

    static func slackHeaders(_ body: [UInt8]) -> HTTPFields {
        let timestamp = Int64(Date().timeIntervalSince1970)
        return [
            HTTPField.Name(SlackSignature.timestampHeader)!: "\(timestamp)",
            HTTPField.Name(SlackSignature.signatureHeader)!: SlackSignature.header(body: body, timestamp: timestamp, secret: slackSecret),
        ]
    }

    @Test("a signed Slack event is published; url_verification and a Discord PING are answered and publish nothing")
    func slackAndDiscord() async throws {
        let harness = try ReceiverHarness()
        defer { harness.cluster.shutdown() }
        let discordKey = Curve25519.Signing.PrivateKey()
        try await harness.writeSource(
            SourceState(key: "slack.acme-bot", sourceId: "slack", params: ["name": "acme-bot"], active: true, secret: Self.slackSecret))
        try await harness.writeSource(
            SourceState(
                key: "discord.deploy-bot", sourceId: "discord", params: ["name": "deploy-bot"], active: true,
                secret: DiscordSignature.publicKeyHex(discordKey)))
        let ping = Array(
            #"{"id":"1266000000000000001","application_id":"1265998877665544332","type":1,"token":"dG9rZW4","version":1}"#.utf8)
        let timestamp = "\(Int64(Date().timeIntervalSince1970))"
        let pingHeaders: HTTPFields = [
            HTTPField.Name(DiscordSignature.timestampHeader)!: timestamp,
            HTTPField.Name(DiscordSignature.signatureHeader)!: try DiscordSignature.header(
                body: ping, timestamp: timestamp, privateKey: discordKey),
        ]
        let app = try await harness.receiver()
        try await app.test(.router) { client in
            try await client.waitUntilReady()

            let challenge = Array(
                #"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV","type":"url_verification"}"#.utf8)
            let verified = try await client.postWebhook("slack.acme-bot", body: challenge, headers: Self.slackHeaders(challenge))
            #expect(verified.status == .ok)
            #expect(String(buffer: verified.body) == "3eZbrw1aBm2rZgRNFdxV")
            let unsigned = try await client.postWebhook("slack.acme-bot", body: challenge, headers: [:])
            #expect(unsigned.status == .unauthorized)

            let pong = try await client.postWebhook("discord.deploy-bot", body: ping, headers: pingHeaders)
            #expect(pong.status == .ok)
            #expect(pong.headers[.contentType] == "application/json")
            let pongBody = try JSON(parsing: Array(pong.body.readableBytesView))
            #expect(pongBody == ["type": 1])

            #expect(try await harness.publishedEvents().isEmpty, "a challenge or PING published something")

            let event = Array(
                #"{"team_id":"T061EG9R6","api_app_id":"A0MDYCDME","event":{"type":"app_mention","user":"U061F7AUR","text":"<@U0LAN0Z89> hi","channel":"C0784AB2CDE","ts":"1721917501.000300"},"type":"event_callback","event_id":"Ev0784AB2XYZ","event_time":1721917501}"#
                    .utf8)
            let accepted = try await client.postWebhook("slack.acme-bot", body: event, headers: Self.slackHeaders(event))
            #expect(accepted.status == .ok)
            let events = try await harness.publishedEvents()
            #expect(events.count == 1)
            let published = try #require(events.first)
            #expect(published.keyString == "slack.com/Ev0784AB2XYZ")
            #expect(published.headers.first(named: "ce_type")?.stringValue == "app_mention")
            #expect(published.headers.first(named: "ce_tributarysourcekey")?.stringValue == "slack.acme-bot")
            let payload = try JSON(parsing: published.value ?? [])
            #expect(payload["text"]?.stringValue == "<@U0LAN0Z89> hi")
        }
    }

    @Test("Twilio's signature is checked against RECEIVER_PUBLIC_URL plus the path and query")
    func twilioUsesThePublicURL() async throws {
        let harness = try ReceiverHarness()
        defer { harness.cluster.shutdown() }
        try await harness.writeSource(
            SourceState(key: "twilio.support", sourceId: "twilio", params: ["name": "support"], active: true, secret: "12345"))
        let app = try await harness.receiver(publicURL: Self.publicURL)
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let body = Array("MessageSid=SM1f0e8a&AccountSid=AC01&From=%2B14155550199&Body=Hello+there".utf8)
            let parameters: [(name: String, value: String)] = [
                ("MessageSid", "SM1f0e8a"), ("AccountSid", "AC01"), ("From", "+14155550199"), ("Body", "Hello there"),
            ]
            let signed = TwilioSignature.header(
                url: Self.publicURL + "/sources/twilio.support?region=us", parameters: parameters, authToken: "12345")
            let headers: HTTPFields = [
                HTTPField.Name(TwilioSignature.signatureHeader)!: signed, .contentType: "application/x-www-form-urlencoded",
            ]
            let wrongURL = try await client.postWebhook("twilio.support", body: body, headers: headers)
            #expect(wrongURL.status == .unauthorized, "signed for ?region=us, posted without the query")
            let accepted = try await client.execute(
                uri: "/sources/twilio.support?region=us", method: .post, headers: headers, body: ByteBuffer(bytes: body)
            ) { $0 }
            #expect(accepted.status == .ok)
            #expect(String(buffer: accepted.body).contains("<Response></Response>"))
            let events = try await harness.publishedEvents()
            #expect(events.map(\.keyString) == ["twilio.com/SM1f0e8a"])
        }
    }
}
