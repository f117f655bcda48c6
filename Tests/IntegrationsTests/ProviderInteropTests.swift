import Crypto
import Foundation
import TestSupport
import Testing
import Tributary
@testable import TributaryIntegrations

/// Slack's, Twilio's and Discord's schemes against the official Python packages (`slack_sdk`'s
/// `SignatureVerifier`, `twilio`'s `RequestValidator`, and PyNaCl signing as Discord does): each
/// signs what our handlers accept, and accepts what we sign (and refuses it tampered).
@Suite(.serialized, .tags(.python), .notInFastRun) struct ProviderInteropTests {
    let body = Array(
        #"{"type":"event_callback","event_id":"Ev0784AB2CDE","event_time":1721917439,"event":{"type":"message","text":"caf\u00e9 ✓"}}"#.utf8
    )
    var now: Int64 { Int64(Date().timeIntervalSince1970) }

    @Test func slackSDKSignaturesAreAcceptedAndOursAreByIt() async throws {
        let secret = "8f742231b10e8888abcd99yyyzzz85a5"
        let t = now
        let answer = try #require(
            await PythonInterop.call("slack-sign", ["body": Data(body).base64EncodedString(), "secret": secret, "timestamp": t]))
        let theirs = try #require(answer["signature"] as? String)
        let result = try await deliver(
            SlackIntegration().source, name: "acme-bot", secret: secret,
            headers: [(SlackSignature.timestampHeader, "\(t)"), (SlackSignature.signatureHeader, theirs)], body: body)
        #expect(result.events.map(\.id) == ["Ev0784AB2CDE"])
        let ours = SlackSignature.header(body: body, timestamp: t, secret: secret)
        #expect(ours == theirs)
        let accepted = await PythonInterop.call(
            "slack-verify", ["body": Data(body).base64EncodedString(), "secret": secret, "timestamp": t, "signature": ours])
        #expect(accepted?["ok"] as? Bool == true)
        let tampered = await PythonInterop.call(
            "slack-verify", ["body": Data(body + [0x20]).base64EncodedString(), "secret": secret, "timestamp": t, "signature": ours])
        #expect(tampered?["ok"] as? Bool == false)
    }

    @Test func twilioValidatorAgreesWithOurSignatures() async throws {
        let token = "0123456789abcdef0123456789abcdef"
        let url = "https://hooks.example.com/sources/twilio.support?region=us"
        let parameters: [(name: String, value: String)] = [
            ("MessageSid", "SM1f0e8ae6ade43cb3c0ce4525424e404f"), ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            ("From", "+14155550199"), ("To", "+14155550100"), ("Body", "Ça marche? 100% & more"), ("NumMedia", "0"),
        ]
        var params: [String: String] = [:]
        for (name, value) in parameters { params[name] = value }
        let answer = try #require(await PythonInterop.call("twilio-sign", ["url": url, "params": params, "token": token]))
        let theirs = try #require(answer["signature"] as? String)
        let result = try await deliver(
            TwilioIntegration().source, name: "support", secret: token, headers: [(TwilioSignature.signatureHeader, theirs)],
            body: TwilioForm.encode(parameters), url: url)
        #expect(result.events.map(\.id) == ["SM1f0e8ae6ade43cb3c0ce4525424e404f"])
        let ours = TwilioSignature.header(url: url, parameters: parameters, authToken: token)
        let accepted = await PythonInterop.call("twilio-verify", ["url": url, "params": params, "token": token, "signature": ours])
        #expect(accepted?["ok"] as? Bool == true)
        var changed = params
        changed["Body"] = "Refund me"
        let tampered = await PythonInterop.call("twilio-verify", ["url": url, "params": changed, "token": token, "signature": ours])
        #expect(tampered?["ok"] as? Bool == false)

        // A JSON body: its hash in the URL (bodySHA256), the URL alone signed.
        let json = Array(#"{"type":"com.twilio.messaging.message.delivered","id":"EZ0123","data":{"messageSid":"SM1"}}"#.utf8)
        let jsonURL = TwilioSignature.url(url, withBodyHashOf: json)
        let signed = try #require(await PythonInterop.call("twilio-sign", ["url": jsonURL, "params": [String: String](), "token": token]))
        let jsonSignature = try #require(signed["signature"] as? String)
        let event = try await deliver(
            TwilioIntegration().source, name: "support", secret: token, headers: [(TwilioSignature.signatureHeader, jsonSignature)],
            body: json, url: jsonURL)
        #expect(event.events.map(\.name) == ["com.twilio.messaging.message.delivered"])
        let body = String(decoding: json, as: UTF8.self)
        let jsonOK = await PythonInterop.call("twilio-verify", ["url": jsonURL, "json": body, "token": token, "signature": jsonSignature])
        #expect(jsonOK?["ok"] as? Bool == true)
        let jsonTampered = await PythonInterop.call(
            "twilio-verify", ["url": jsonURL, "json": body + " ", "token": token, "signature": jsonSignature])
        #expect(jsonTampered?["ok"] as? Bool == false)
    }

    @Test func pyNaClSignaturesAreAcceptedAndOursVerifyWithIt() async throws {
        let ping = Array(
            #"{"id":"1266000000000000001","application_id":"1265998877665544332","type":1,"token":"dG9rZW4","version":1}"#.utf8)
        let t = "\(now)"
        let answer = try #require(await PythonInterop.call("discord-sign", ["body": Data(ping).base64EncodedString(), "timestamp": t]))
        let signature = try #require(answer["signature"] as? String)
        let publicKey = try #require(answer["public_key"] as? String)
        let result = try await deliver(
            DiscordIntegration().source, name: "deploy-bot", secret: publicKey,
            headers: [(DiscordSignature.timestampHeader, t), (DiscordSignature.signatureHeader, signature)], body: ping)
        #expect(result.events.isEmpty && result.response?.body == Array(#"{"type":1}"#.utf8))
        let forged = await rejectionOf {
            try await deliver(
                DiscordIntegration().source, name: "deploy-bot", secret: publicKey,
                headers: [(DiscordSignature.timestampHeader, t), (DiscordSignature.signatureHeader, signature)], body: ping + [0x20])
        }
        #expect(forged?.status == 401)

        let key = Curve25519.Signing.PrivateKey()
        let ours = try DiscordSignature.header(body: ping, timestamp: t, privateKey: key)
        let request: [String: Any] = [
            "body": Data(ping).base64EncodedString(), "timestamp": t, "signature": ours, "public_key": DiscordSignature.publicKeyHex(key),
        ]
        let accepted = await PythonInterop.call("discord-verify", request)
        #expect(accepted?["ok"] as? Bool == true)
        var other = request
        other["timestamp"] = "\(now + 1)"
        let tampered = await PythonInterop.call("discord-verify", other)
        #expect(tampered?["ok"] as? Bool == false)
    }
}
