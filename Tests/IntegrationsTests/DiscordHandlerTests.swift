import Crypto
import Foundation
import Testing
import Tributary
@testable import TributaryIntegrations

@Suite struct DiscordHandlerTests {
    let discord = DiscordIntegration()
    let key = Curve25519.Signing.PrivateKey()
    var publicKey: String { DiscordSignature.publicKeyHex(key) }
    let command = Array(
        #"""
        {"id":"1266012345678901234","application_id":"1265998877665544332","type":2,"token":"aW50ZXJhY3Rpb24","version":1,"guild_id":"613425648685547541","channel_id":"645027906669510667","member":{"user":{"id":"80351110224678912","username":"nelly"}},"data":{"id":"1265999000111222333","name":"deploy","type":1,"options":[{"name":"environment","type":3,"value":"staging"}]}}
        """#.utf8)

    func send(
        _ body: [UInt8], timestamp: String? = nil, signature: String?, includeTimestamp: Bool = true, publicKey: String? = nil
    ) async throws -> HandlerResult {
        var headers: [(String, String)] = []
        if includeTimestamp { headers.append((DiscordSignature.timestampHeader, timestamp ?? "\(unixNow)")) }
        if let signature { headers.append((DiscordSignature.signatureHeader, signature)) }
        return try await deliver(discord.source, name: "deploy-bot", secret: publicKey ?? self.publicKey, headers: headers, body: body)
    }

    func sign(_ body: [UInt8], timestamp: String? = nil, with signer: Curve25519.Signing.PrivateKey? = nil) throws -> String {
        try DiscordSignature.header(body: body, timestamp: timestamp ?? "\(unixNow)", privateKey: signer ?? key)
    }

    @Test func pingIsAnsweredWithPongAndPublishesNothing() async throws {
        let ping = Array(
            #"{"id":"1266000000000000001","application_id":"1265998877665544332","type":1,"token":"dG9rZW4","version":1}"#.utf8)
        let result = try await send(ping, signature: try sign(ping))
        let response = try #require(result.response)
        #expect(result.events.isEmpty)
        #expect(response.status == 200 && response.headers["Content-Type"] == "application/json")
        let answer = try JSON(parsing: response.body)
        #expect(answer == ["type": 1])
        let unsigned = await rejectionOf { try await send(ping, signature: nil) }
        #expect(unsigned?.status == 401, "an unsigned PING gets no PONG")
    }

    @Test func aCommandBecomesOneEventWithADeferredResponse() async throws {
        let result = try await send(command, signature: try sign(command))
        let event = try #require(result.events.first)
        #expect(result.events.count == 1)
        #expect(event.id == "1266012345678901234" && event.name == "interaction.application_command" && event.source == "discord.com")
        #expect(event.payload["data"]?["name"] == "deploy" && event.payload["token"] == "aW50ZXJhY3Rpb24")
        #expect(event.context["guildId"] == "613425648685547541")
        #expect(event.sourceKey == "discord.deploy-bot")
        let response = try #require(result.response)
        let answer = try JSON(parsing: response.body)
        #expect(answer == ["type": 5])
    }

    @Test func componentsAndAutocompleteGetTheirOwnImmediateAnswers() async throws {
        let component = Array(
            #"{"id":"1266012399999901234","type":3,"token":"dG9rZW4","data":{"custom_id":"approve-deploy","component_type":2}}"#.utf8)
        let componentResult = try await send(component, signature: try sign(component))
        #expect(componentResult.events.map(\.name) == ["interaction.message_component"])
        let componentAnswer = try JSON(parsing: componentResult.response?.body ?? [])
        #expect(componentAnswer == ["type": 6])
        let typing = Array(#"{"id":"1266012500000001234","type":4,"token":"dG9rZW4","data":{"name":"deploy"}}"#.utf8)
        let typingResult = try await send(typing, signature: try sign(typing))
        let typingAnswer = try JSON(parsing: typingResult.response?.body ?? [])
        #expect(typingAnswer == ["type": 8, "data": ["choices": []]])
    }

    @Test func badDeliveriesAreA401() async throws {
        let t = "\(unixNow)"
        let good = try sign(command, timestamp: t)
        let stale = "\(unixNow - 400)"
        let cases: [(String, [UInt8], String, String?, Bool)] = [
            ("forged (another key)", command, t, try sign(command, timestamp: t, with: Curve25519.Signing.PrivateKey()), true),
            ("tampered body", tampered(command), t, good, true),
            ("signed at another time", command, "\(unixNow + 1)", good, true),
            ("stale timestamp", command, stale, try sign(command, timestamp: stale), true),
            ("missing signature", command, t, nil, true),
            ("missing timestamp", command, t, good, false),
            ("not hex", command, t, "zz" + good.dropFirst(2), true),
            ("short signature", command, t, String(good.prefix(64)), true),
        ]
        for (name, body, timestamp, signature, includeTimestamp) in cases {
            let r = await rejectionOf {
                try await send(body, timestamp: timestamp, signature: signature, includeTimestamp: includeTimestamp)
            }
            #expect(r?.reason == .badSignature && r?.status == 401, "\(name)")
        }
        let badKey = await rejectionOf { try await send(command, signature: good, publicKey: "not-a-key") }
        #expect(badKey?.status == 401)
    }

    @Test func malformedOrUnknownInteractionsAreA400() async throws {
        for text in ["{not json", #"{"type":"two"}"#, #"{"type":2}"#, #"{"id":"1","type":99}"#] {
            let bytes = Array(text.utf8)
            let r = await rejectionOf { try await send(bytes, signature: try sign(bytes)) }
            #expect(r?.status == 400, "\(text)")
        }
    }

    @Test func providerDeclaresKeysAndEvents() throws {
        try checkNamedProvider(
            DiscordIntegration.provider, prefix: "discord", sourceId: "discord", eventSource: "discord.com",
            events: [
                "interaction.application_command", "interaction.message_component", "interaction.modal_submit", "interaction.autocomplete",
            ])
    }
}
